import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { TEST_PG_URL, TEST_REDIS_URL, databaseUrl, freePort } from '@mailroom/testing';
import { ServiceUnavailableError, checkPostgres, checkRedis, checkServices } from '@mailroom/preflight';

async function failure(check: Promise<void>): Promise<ServiceUnavailableError> {
  const error = await check.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceUnavailableError);
  return error as ServiceUnavailableError;
}

describe('checking PostgreSQL and Redis before start (real sockets)', () => {
  let silent: Server;
  let silentPort: number;
  const open = new Set<Socket>();

  beforeAll(async () => {
    // Accepts connections and never answers: a firewall that drops, a hung server.
    silent = createServer((socket) => {
      open.add(socket);
      socket.resume();
      socket.on('close', () => open.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(() => {
    for (const socket of open) socket.destroy();
    return new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('passes when both answer', async () => {
    await checkServices({ DATABASE_URL: TEST_PG_URL, REDIS_URL: TEST_REDIS_URL }, { postgres: true, redis: true });
  });

  it('names each service that is not listening, one line each', async () => {
    const pgPort = await freePort();
    const redisPort = await freePort();
    const error = await failure(
      checkServices({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${pgPort}/mailroom`, REDIS_URL: `redis://127.0.0.1:${redisPort}` }, { postgres: true, redis: true }),
    );
    expect(error.message.split('\n')).toEqual([
      `Mailroom cannot reach PostgreSQL at postgresql://postgres@127.0.0.1:${pgPort}/mailroom (connection refused). Start it: sudo apt-get install -y postgresql && sudo systemctl start postgresql, or docker compose up -d postgres`,
      `Mailroom cannot reach Redis at redis://127.0.0.1:${redisPort} (connection refused). Start it: sudo apt-get install -y redis-server && sudo systemctl start redis-server, or docker compose up -d redis`,
    ]);
  });

  it('gives up on a server that never answers after the timeout', async () => {
    const redis = await failure(checkRedis(`redis://127.0.0.1:${silentPort}`, { timeoutMs: 300 }));
    expect(redis.message).toMatch(/^Mailroom cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(no answer within 0\.3 s\)\. Start it: /);
    const pg = await failure(checkPostgres(`postgresql://postgres@127.0.0.1:${silentPort}/mailroom`, { timeoutMs: 300 }));
    expect(pg.message).toMatch(/^Mailroom cannot reach PostgreSQL at postgresql:\/\/postgres@127\.0\.0\.1:\d+\/mailroom \(no answer within 0\.3 s\)\. Start it: /);
    // The checks hang up: nothing is left holding the server's connections.
    await expect.poll(() => open.size).toBe(0);
  });

  it('accepts a missing database only where the caller creates it', async () => {
    const url = databaseUrl(`mailroom_never_created_${process.pid}`);
    await checkPostgres(url, { createsDatabase: true });
    const error = await failure(checkPostgres(url));
    expect(error.message).toBe(
      `Mailroom's database mailroom_never_created_${process.pid} does not exist on PostgreSQL at ${url}. Create it with npm run db:migrate (npm start creates it too)`,
    );
  });

  it('names a user PostgreSQL does not know', async () => {
    const url = new URL(TEST_PG_URL);
    url.username = 'mailroom_no_such_role';
    url.password = 'hunter22';
    const error = await failure(checkPostgres(url.toString()));
    expect(error.message).toMatch(/^Mailroom cannot log in to PostgreSQL at postgresql:\/\/mailroom_no_such_role:\*\*\*@.* \(.*mailroom_no_such_role.*\)\. Check the user and password in DATABASE_URL$/);
    expect(error.message).not.toContain('hunter22');
  });
});
