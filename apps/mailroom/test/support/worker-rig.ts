import { Redis } from 'ioredis';
import { Client } from 'pg';
import { TEST_REDIS_URL, workerEnvFor } from '@mailroom/testing';
import { startTestApi, type TestApi } from './test-api';

/** What the tests of worker processes share: the API in the test, its database and Redis, and the env workers start with. */
export interface WorkerRig {
  api: TestApi;
  redis: Redis;
  pg: Client;
  workerEnv: Record<string, string>;
  close(): Promise<void>;
}

/**
 * The API in the test with no worker in its process (workers run as real processes, started
 * with `workerEnv`: the API's database and Redis prefix, `env`, then `workerEnv`), with Redis and
 * PostgreSQL clients of its own.
 */
export async function startWorkerRig(env: Record<string, string>, workerEnv: Record<string, string> = {}): Promise<WorkerRig> {
  const api = await startTestApi(env);
  const redis = new Redis(TEST_REDIS_URL);
  const pg = new Client({ connectionString: api.db.url });
  await pg.connect();
  return {
    api,
    redis,
    pg,
    workerEnv: await workerEnvFor(api, { ...env, ...workerEnv }),
    async close() {
      await pg.end();
      redis.disconnect();
      await api.close();
    },
  };
}
