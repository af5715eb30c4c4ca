import type { DynamicModule, Type } from '@nestjs/common';
import { Client } from 'pg';
import { PlatformModule } from '@mailroom/platform';
import { startTestHttpApp, TestDnsServer, type TestApi, type TestDestination } from '@mailroom/testing';
import { ApiModule } from '../../../api/src/api.module';
import { createHttpApp } from '../../../api/src/http-app';
import { WorkerModule } from '../../../worker/src/worker.module';

export type { TestApi } from '@mailroom/testing';

/**
 * The real API on a free loopback port, over a database and Redis prefix of its own; with
 * `worker`, the delivery workers run in the same process (as under `npm start`), and `modules`
 * adds more (the SMTP listeners). It lives here, in the app that composes the others, because
 * libs/testing may not import apps.
 */
export function startTestApi(env: Record<string, string> = {}, options: { worker?: boolean; modules?: Array<Type | DynamicModule> } = {}): Promise<TestApi> {
  return startTestHttpApp(
    (config, logger) =>
      createHttpApp({ module: class TestApiRoot {}, imports: [PlatformModule.forRoot(config, logger), ApiModule, ...(options.worker ? [WorkerModule] : []), ...(options.modules ?? [])] }, config, logger),
    env,
  );
}

/** What most API tests start from: the API, a test DNS server it resolves through, and a PostgreSQL client on its database. */
export interface ApiWithDns {
  api: TestApi;
  dns: TestDnsServer;
  pg: Client;
  close(): Promise<void>;
}

/** startTestApi with DNS_SERVERS set to a test DNS server of its own, and a connected PostgreSQL client. */
export async function startApiWithDns(env: Record<string, string> = {}, options: Parameters<typeof startTestApi>[1] = {}): Promise<ApiWithDns> {
  const dns = await TestDnsServer.start();
  const api = await startTestApi({ DNS_SERVERS: dns.address, ...env }, options);
  const pg = new Client({ connectionString: api.db.url });
  await pg.connect();
  return {
    api,
    dns,
    pg,
    async close() {
      await pg.end();
      await api.close();
      await dns.close();
    },
  };
}

/**
 * startTestApi resolving through the destination's DNS server and sending to its sink (with the
 * delivery workers in the process unless `options` says otherwise), and a connected PostgreSQL
 * client; close() closes the destination too.
 */
export async function startApiDeliveringTo(destination: TestDestination, env: Record<string, string> = {}, options: Parameters<typeof startTestApi>[1] = { worker: true }): Promise<ApiWithDns> {
  const api = await startTestApi({ ...destination.env, ...env }, options);
  const pg = new Client({ connectionString: api.db.url });
  await pg.connect();
  return {
    api,
    dns: destination.dns,
    pg,
    async close() {
      await pg.end();
      await api.close();
      await destination.close();
    },
  };
}
