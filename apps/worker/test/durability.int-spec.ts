import type { Redis } from 'ioredis';
import type { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  allDelivered as allDeliveredWithin,
  arrivals,
  BuiltProcesses,
  createSendingAccount,
  recipientStatuses,
  repeatedArrivals,
  signalAndWait,
  startDestination,
  type SendingAccount,
  type SmtpSink,
  type TestDestination,
  type TestDnsServer,
} from '@mailroom/testing';
import type { TestApi } from '../../mailroom/test/support/test-api';
import { startWorkerRig, type WorkerRig } from '../../mailroom/test/support/worker-rig';

const WORKER = 'dist/apps/worker/src/main.js';
const COUNT = 40;

/**
 * A message accepted is never lost: not when Redis forgets the queue, not when a worker dies
 * with deliveries in flight. The API runs in the test; workers run as real processes.
 */
describe('delivery durability', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let sender: SendingAccount;
  let redis: Redis;
  let pg: Client;
  let workerEnv: Record<string, string>;
  let destination: TestDestination;
  let rig: WorkerRig;
  const workers = new BuiltProcesses();

  beforeAll(async () => {
    ({ dns, sink } = destination = await startDestination('slow.test', '127.0.0.9'));
    ({ api, redis, pg, workerEnv } = rig = await startWorkerRig({ ...destination.env, SWEEP_INTERVAL_SECONDS: '1' }, { WORKER_CONCURRENCY: '4', WORKER_LOCK_SECONDS: '2', DELIVERY_LEASE_SECONDS: '3' }));
    sender = await createSendingAccount(api, dns, 'durable.test');
  });

  afterEach(async () => {
    await workers.killAll();
  });

  afterAll(async () => {
    await rig?.close();
    await destination?.close();
  });

  const startWorker = (env: Record<string, string> = {}) => workers.spawn(WORKER, { ...workerEnv, ...env });

  async function sendBatch(tag: string): Promise<string[]> {
    const body = Array.from({ length: COUNT }, (_, i) => ({ from: 'app@durable.test', to: `${tag}${i}@slow.test`, subject: `${tag} ${i}`, text: 'x' }));
    const res = await api.request('POST', '/v1/messages/batch', { key: sender.key, body });
    expect(res.status).toBe(202);
    return res.body.map((r: { id: string }) => r.id);
  }

  const statuses = (ids: string[]) => recipientStatuses(pg, ids);
  const allDelivered = (ids: string[], timeoutMs = 90_000) => allDeliveredWithin(pg, ids, timeoutMs, workers, 200);

  it('puts work back on the queue after Redis is flushed mid-run, and delivers everything', async () => {
    sink.behaviour = { delayMs: 100 };
    startWorker();
    const ids = await sendBatch('flush');
    await sink.waitFor(3, 60_000);
    // Everything of this installation in Redis goes: queued jobs, delayed jobs, locks.
    const keys = await redis.keys(`${api.config.REDIS_PREFIX}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    expect(await statuses(ids)).not.toEqual({ delivered: COUNT });

    await allDelivered(ids);
    const counts = arrivals(sink, 'flush');
    expect(counts.size).toBe(COUNT);
    // At-least-once: a transaction in flight during the flush may be sent twice, no more.
    expect(repeatedArrivals(counts)).toBeLessThanOrEqual(4);
  }, 120_000);

  it('finds a flushed Redis within seconds, not at the next sweep interval, and delivers everything', async () => {
    sink.behaviour = { delayMs: 100 };
    // A sweep interval of an hour: only the lost-data probe can bring the work back in time.
    startWorker({ SWEEP_INTERVAL_SECONDS: '3600', WORKER_CONCURRENCY: '1' }); // one run at a time: the others wait in Redis
    const ids = await sendBatch('probe');
    await sink.waitFor(sink.messages.length + 3, 60_000);
    await redis.del(...(await redis.keys(`${api.config.REDIS_PREFIX}:*`)));
    expect(await statuses(ids)).not.toEqual({ delivered: COUNT });

    await allDelivered(ids, 60_000);
    expect(arrivals(sink, 'probe').size).toBe(COUNT);
    expect(workers.list[0]!.output()).toContain('Redis lost its data');
  }, 120_000);

  it('loses nothing when a worker process is killed in the middle of deliveries', async () => {
    sink.behaviour = { delayMs: 300 };
    const first = startWorker();
    const ids = await sendBatch('kill');
    const before = sink.messages.length;
    await sink.waitFor(before + 4, 60_000);
    await signalAndWait(first, 'SIGKILL');
    const inFlight = await statuses(ids);
    expect(inFlight.delivered ?? 0).toBeLessThan(COUNT);

    startWorker();
    await allDelivered(ids);
    const counts = arrivals(sink, 'kill');
    expect(counts.size).toBe(COUNT);
    // Only transactions the server finished but the dead worker never recorded can repeat.
    expect(repeatedArrivals(counts)).toBeLessThanOrEqual(4);
  }, 120_000);
});
