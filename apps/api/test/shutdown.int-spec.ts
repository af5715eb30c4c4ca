import { randomBytes } from 'node:crypto';
import { Agent, get, request } from 'node:http';
import { connect } from 'node:net';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSED_RESOURCE_ERRORS, createTestDatabase, freePort, signalAndWait, spawnBuilt, waitForOutput, type TestDatabase } from '@mailroom/testing';

const API = 'dist/apps/api/src/main.js';

/**
 * The api app (a real process) gets SIGTERM while a request is still arriving and another
 * client keeps an idle keep-alive connection: new connections are refused, the request is
 * finished and answered, what it wrote is in the database, the idle connection does not hold
 * the process open, and only then does it close its connections and exit.
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

  it('refuses new connections, answers the request in flight, then exits cleanly and soon', async () => {
    const port = await freePort();
    const adminKey = `admin-${randomBytes(12).toString('hex')}`;
    const api = spawnBuilt(API, { DATABASE_URL: db.url, HTTP_PORT: String(port), REDIS_PREFIX: `test-api-drain-${port}`, ADMIN_API_KEY: adminKey, LOG_LEVEL: 'info' });
    try {
      await waitForOutput(api, 'api listening');
      // A client that keeps its connection open after its request (a load balancer, say).
      const keepAlive = new Agent({ keepAlive: true });
      const health = await new Promise<number>((resolve, reject) =>
        get({ host: '127.0.0.1', port, path: '/health', agent: keepAlive }, (res) => (res.resume(), res.on('end', () => resolve(res.statusCode ?? 0)))).on('error', reject),
      );
      expect(health).toBe(200);
      const body = JSON.stringify({ name: 'Arrived during shutdown' });
      // Over a keep-alive connection too: once answered, it must not keep the process open either.
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/accounts', agent: new Agent({ keepAlive: true }), headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
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
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(false)));
        socket.once('error', () => resolve(true));
      });
      expect(refused).toBe(true);
      req.end(body.slice(10));

      const response = await answered;
      expect(response.status, response.text).toBe(201);
      const { code, ms } = await exited;
      keepAlive.destroy();
      expect(code, api.output().slice(-3000)).toBe(0);
      // Not held open by the idle keep-alive connection (its timeout is 72 s).
      expect(ms).toBeLessThan(15_000);
      for (const text of CLOSED_RESOURCE_ERRORS) expect(api.output(), text).not.toContain(text);
      const { rows } = await pg.query<{ id: string }>('SELECT id FROM accounts WHERE name = $1', ['Arrived during shutdown']);
      expect(rows).toEqual([{ id: JSON.parse(response.text).id }]);
    } finally {
      await signalAndWait(api, 'SIGKILL');
    }
  }, 60_000);
});
