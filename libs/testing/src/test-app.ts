import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { DynamicModule, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@mailroom/config';
import { createLogger } from '@mailroom/logger';
import { PlatformModule } from '@mailroom/platform';
import { ApiModule } from '../../../apps/api/src/api.module';
import { createHttpApp } from '../../../apps/api/src/http-app';
import { WorkerModule } from '../../../apps/worker/src/worker.module';
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

/**
 * The real API on a free loopback port, over a database and Redis prefix of its own; with
 * `worker`, the delivery workers run in the same process (as under `npm start`).
 */
export async function startTestApi(env: Record<string, string> = {}, options: { worker?: boolean; modules?: Array<Type | DynamicModule> } = {}): Promise<TestApi> {
  const db = await createTestDatabase();
  const adminKey = `admin-${randomBytes(12).toString('hex')}`;
  const config = testConfig(db.url, { ADMIN_API_KEY: adminKey, ...env });
  const logger = createLogger(config.LOG_LEVEL, 'test-api');
  const app = await createHttpApp({ module: class TestApiRoot {}, imports: [PlatformModule.forRoot(config, logger), ApiModule, ...(options.worker ? [WorkerModule] : []), ...(options.modules ?? [])] }, config, logger);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    config,
    db,
    baseUrl,
    adminKey,
    async request(method, path, options = {}) {
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
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
