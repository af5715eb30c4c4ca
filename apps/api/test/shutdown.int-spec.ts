import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSED_RESOURCE_ERRORS, createTestDatabase, freePort, signalAndWait, spawnBuilt, waitForOutput, type TestDatabase } from '@mailroom/testing';

const API = 'dist/apps/api/src/main.js';

/**
 * The api app (a real process) gets SIGTERM while a request is still arriving: the request is
 * finished and answered, what it wrote is in the database, and only then does the process close
 * its connections and exit.
 */
describe('api app on SIGTERM', () => {
  let db: TestDatabase;
  let pg: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await db?.drop();
  });

  it('answers the request in flight, then exits cleanly', async () => {
    const port = await freePort();
    const adminKey = `admin-${randomBytes(12).toString('hex')}`;
    const api = spawnBuilt(API, { DATABASE_URL: db.url, HTTP_PORT: String(port), REDIS_PREFIX: `test-api-drain-${port}`, ADMIN_API_KEY: adminKey, LOG_LEVEL: 'info' });
    try {
      await waitForOutput(api, 'api listening');
      const body = JSON.stringify({ name: 'Arrived during shutdown' });
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/accounts', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
      const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
        req.on('response', (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
      });
      // Half the body now, the other half after the signal: the request is in flight throughout.
      req.write(body.slice(0, 10));
      await new Promise((r) => setTimeout(r, 300));
      const exited = signalAndWait(api, 'SIGTERM');
      await waitForOutput(api, 'shutting down');
      await new Promise((r) => setTimeout(r, 300));
      req.end(body.slice(10));

      const response = await answered;
      expect(response.status, response.text).toBe(201);
      const { code } = await exited;
      expect(code, api.output().slice(-3000)).toBe(0);
      for (const text of CLOSED_RESOURCE_ERRORS) expect(api.output(), text).not.toContain(text);
      const { rows } = await pg.query<{ id: string }>('SELECT id FROM accounts WHERE name = $1', ['Arrived during shutdown']);
      expect(rows).toEqual([{ id: JSON.parse(response.text).id }]);
    } finally {
      await signalAndWait(api, 'SIGKILL');
    }
  }, 60_000);
});
