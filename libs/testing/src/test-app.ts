import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@mailroom/config';
import { createLogger, type Logger } from '@mailroom/logger';
import { createTestDatabase, type TestDatabase } from './test-database';
import { testConfig } from './test-config';

export interface TestApi {
  app: NestFastifyApplication;
  config: AppConfig;
  db: TestDatabase;
  baseUrl: string;
  adminKey: string;
  /** fetch against the API with JSON in and out. */
  request(method: string, path: string, options?: { key?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/** TestApi.request against the API at `baseUrl` (one in the test, or a process the test started). */
export function jsonRequest(baseUrl: string): TestApi['request'] {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(baseUrl + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (metrics, docs): keep the text
    }
    return { status: response.status, body, headers: response.headers };
  };
}

/** Builds the HTTP application under test from its config; the app side supplies it (libs never import apps). */
export type TestHttpAppFactory = (config: AppConfig, logger: Logger) => Promise<NestFastifyApplication>;

/**
 * An HTTP app built by `build` on a free loopback port, over a database and Redis prefix of its
 * own, with an admin key. The API's own starter (`startTestApi`) lives with the apps, in
 * apps/mailroom/test/support/test-api.ts.
 */
export async function startTestHttpApp(build: TestHttpAppFactory, env: Record<string, string> = {}): Promise<TestApi> {
  const db = await createTestDatabase();
  const adminKey = `admin-${randomBytes(12).toString('hex')}`;
  let app: NestFastifyApplication | undefined;
  let port: number;
  let config: AppConfig;
  try {
    config = testConfig(db.url, { ADMIN_API_KEY: adminKey, ...env });
    const logger = createLogger(config.LOG_LEVEL, 'test-api');
    app = await build(config, logger);
    await app.listen(0, '127.0.0.1');
    ({ port } = app.getHttpServer().address() as AddressInfo);
  } catch (error) {
    // A configuration the test expects to be refused, or an app that fails to start: the
    // database goes all the same (it was left behind on every run before).
    await app?.close().catch(() => undefined);
    await db.drop();
    throw error;
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    config,
    db,
    baseUrl,
    adminKey,
    request: jsonRequest(baseUrl),
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
