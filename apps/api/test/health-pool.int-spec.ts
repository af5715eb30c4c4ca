import type { PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sql } from '@mailroom/db';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

/**
 * One PostgreSQL pool per process, DATABASE_POOL_SIZE connections, shared by Prisma and the hot
 * paths; /health says when it is full rather than calling PostgreSQL down.
 */
describe('the database pool', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ DATABASE_POOL_SIZE: '3' });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('is one pool of DATABASE_POOL_SIZE for Prisma and SQL alike, and /health names it when every connection is taken', async () => {
    const sql = api.app.get(Sql);
    const held: PoolClient[] = [];
    try {
      for (let i = 0; i < 3; i++) held.push(await sql.pool.connect());
      // Prisma waits for the same pool: its query cannot run while the three are held.
      let prismaDone = false;
      const accounts = api.request('GET', '/v1/accounts/00000000-0000-4000-8000-000000000000', { key: api.adminKey }).then((r) => ((prismaDone = true), r));
      const full = await api.request('GET', '/health');
      expect(full.status).toBe(503);
      expect(full.body).toMatchObject({ status: 'unavailable', postgres: 'pool_exhausted', redis: 'up', postgres_pool: { size: 3, in_use: 3, exhausted: true } });
      expect(full.body.postgres_pool.waiting).toBeGreaterThanOrEqual(1);
      expect(prismaDone).toBe(false);
      for (const client of held.splice(0)) client.release();
      await accounts;
    } finally {
      for (const client of held) client.release();
    }
    const healthy = await api.request('GET', '/health');
    expect(healthy.status).toBe(200);
    expect(healthy.body).toMatchObject({ postgres: 'up', postgres_pool: { size: 3, exhausted: false } });
  });

  it('refuses a pool size that is not a whole number of at least 2', async () => {
    await expect(startTestApi({ DATABASE_POOL_SIZE: '1' })).rejects.toThrow(/DATABASE_POOL_SIZE must be at least 2/);
  });
});
