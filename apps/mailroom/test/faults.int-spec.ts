import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  allDelivered,
  arrivals,
  BuiltProcesses,
  CLOSED_RESOURCE_ERRORS,
  createSendingAccount,
  createTestDatabase,
  freePort,
  jsonRequest,
  mailListenerPorts,
  recipientStatuses,
  repeatedArrivals,
  signalAndWait,
  startDestination,
  TEST_REDIS_URL,
  timeToNextArrival,
  type SendingAccount,
  type SmtpSink,
  type TestApi,
  type TestDatabase,
  type TestDestination,
  type TestDnsServer,
} from '@mailroom/testing';

const MAIN = 'dist/apps/mailroom/src/main.js';
/** The target is 10 s after the process is up; the bound leaves room for a busy machine. */
const RESUME_BOUND_MS = 20_000;

/**
 * `npm start` (API, workers, SMTP and IMAP in one process) stopped by SIGTERM or kill -9 while
 * it delivers, then started again: delivery resumes at once, nothing is lost, and a SIGTERM
 * repeats nothing and uses no connection after closing it.
 */
describe('npm start stopped mid-delivery', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let db: TestDatabase;
  let pg: Client;
  let redis: Redis;
  let env: Record<string, string>;
  let api: Pick<TestApi, 'request' | 'adminKey'>;
  let sender: SendingAccount;
  let destination: TestDestination;
  const processes = new BuiltProcesses();

  beforeAll(async () => {
    ({ dns, sink } = destination = await startDestination('allinone.test', '127.0.0.11'));
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    redis = new Redis(TEST_REDIS_URL);
    const httpPort = await freePort();
    const adminKey = `admin-${randomBytes(12).toString('hex')}`;
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: `test-allinone-${randomBytes(4).toString('hex')}`,
      ADMIN_API_KEY: adminKey,
      HTTP_PORT: String(httpPort),
      ...(await mailListenerPorts()),
      MAIL_HOSTNAME: 'mx.mailroom.test',
      ...destination.env,
      WORKER_CONCURRENCY: '8',
      DESTINATION_MAX_CONNECTIONS: '4',
      DKIM_SIGNING_THREADS: '1',
      // Far longer than the test: if delivery resumes, the lease is not what freed anything.
      DELIVERY_LEASE_SECONDS: '3600',
      LOG_LEVEL: 'info',
    };
    api = { adminKey, request: jsonRequest(`http://127.0.0.1:${httpPort}`) };
    const first = await start();
    sender = await createSendingAccount(api, dns, 'allinone-sender.test');
    expect((await signalAndWait(first, 'SIGTERM')).code).toBe(0);
  }, 120_000);

  afterEach(async () => {
    await processes.killAll();
  });

  afterAll(async () => {
    await pg?.end();
    redis?.disconnect();
    await db?.drop();
    await destination?.close();
  });

  const start = () => processes.start(MAIN, env, 'mailroom ready');

  async function send(count: number, tag: string): Promise<string[]> {
    const body = Array.from({ length: count }, (_, i) => ({ from: 'app@allinone-sender.test', to: `${tag}${i}@allinone.test`, subject: `${tag} ${i}`, text: 'x' }));
    const res = await api.request('POST', '/v1/messages/batch', { key: sender.key, body });
    expect(res.status).toBe(202);
    return res.body.map((r: { id: string }) => r.id);
  }

  const statuses = (ids: string[]) => recipientStatuses(pg, ids);

  function duplicates(tag: string): { distinct: number; repeated: number } {
    const counts = arrivals(sink, tag);
    return { distinct: counts.size, repeated: repeatedArrivals(counts) };
  }

  it('drains on SIGTERM (no duplicate, no connection used after closing) and the next start resumes at once', async () => {
    sink.behaviour = { delayMs: 300 };
    const first = await start();
    const ids = await send(120, 'term');
    await sink.waitFor(sink.count + 6, 60_000);
    const stop = await signalAndWait(first, 'SIGTERM');
    expect(stop.code, first.output().slice(-3000)).toBe(0);
    expect(stop.ms).toBeLessThan(15_000);
    for (const text of CLOSED_RESOURCE_ERRORS) expect(first.output(), text).not.toContain(text);
    expect((await statuses(ids)).sending ?? 0).toBe(0);
    expect(await redis.zcard(`${env.REDIS_PREFIX}:dest:allinone.test:slots`)).toBe(0);

    const second = await start();
    const resumeMs = await timeToNextArrival(sink);
    expect(resumeMs).toBeLessThan(RESUME_BOUND_MS);
    await allDelivered(pg, ids, 120_000, processes);
    expect(duplicates('term')).toEqual({ distinct: 120, repeated: 0 });
    const again = await signalAndWait(second, 'SIGTERM');
    expect(again.code).toBe(0);
    for (const text of CLOSED_RESOURCE_ERRORS) expect(second.output(), text).not.toContain(text);
    console.log(`npm start, SIGTERM: stopped in ${stop.ms} ms; delivery resumed ${resumeMs} ms after the next start was up`);
  }, 240_000);

  it('resumes within seconds of the next start after kill -9 in the middle of deliveries, and loses nothing', async () => {
    sink.behaviour = { delayMs: 300 };
    const first = await start();
    const ids = await send(120, 'kill');
    await sink.waitFor(sink.count + 6, 60_000);
    await signalAndWait(first, 'SIGKILL');
    expect((await statuses(ids)).sending).toBeGreaterThan(0);

    await start();
    const resumeMs = await timeToNextArrival(sink);
    expect(resumeMs).toBeLessThan(RESUME_BOUND_MS);
    await allDelivered(pg, ids, 150_000, processes);
    const { distinct, repeated } = duplicates('kill');
    expect(distinct).toBe(120);
    expect(repeated).toBeLessThanOrEqual(4);
    console.log(`npm start, kill -9: delivery resumed ${resumeMs} ms after the next start was up; ${repeated} duplicates`);
  }, 240_000);
});
