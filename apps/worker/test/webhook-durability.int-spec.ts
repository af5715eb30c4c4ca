import type { Redis } from 'ioredis';
import type { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BuiltProcesses, createAccountKey, signalAndWait, until, WebhookReceiver } from '@mailroom/testing';
import type { TestApi } from '../../mailroom/test/support/test-api';
import { startWorkerRig, type WorkerRig } from '../../mailroom/test/support/worker-rig';

const WORKER = 'dist/apps/worker/src/main.js';

/**
 * Webhook delivery lives in PostgreSQL, not Redis: events committed while no worker runs, a
 * worker killed (kill -9) between taking deliveries and hearing back, and a flushed Redis all
 * end with every event received. Workers are real processes; the API runs in the test.
 */
describe('webhook durability', () => {
  let api: TestApi;
  let receiver: WebhookReceiver;
  let redis: Redis;
  let pg: Client;
  let key: string;
  let workerEnv: Record<string, string>;
  let rig: WorkerRig;
  const workers = new BuiltProcesses();

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    const env = { WEBHOOK_ALLOW_PRIVATE: 'true', SWEEP_INTERVAL_SECONDS: '1' };
    ({ api, redis, pg, workerEnv } = rig = await startWorkerRig(env, { WEBHOOK_TIMEOUT_SECONDS: '2', WEBHOOK_RETRY_SCHEDULE: '1,1,1,1,1,1', WORKER_LOCK_SECONDS: '2' }));
    ({ key } = await createAccountKey(api, 'durable hooks'));
  });

  afterEach(async () => {
    await workers.killAll();
  });

  afterAll(async () => {
    await rig?.close();
    await receiver?.close();
  });

  async function endpoint(path: string): Promise<string> {
    const res = await api.request('POST', '/v1/webhooks', { key, body: { url: receiver.url(path), events: ['*'] } });
    receiver.secrets.push(res.body.secret);
    return res.body.id;
  }

  /** Test events for the endpoint, committed by the API: event and delivery rows, nothing in Redis yet. */
  async function emit(webhookId: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await api.request('POST', `/v1/webhooks/${webhookId}/test`, { key })).body.event_id);
    return ids;
  }

  /** Every event answered 200 at least once, each signature verified. */
  const allReceived = (path: string, ids: string[]) => () => {
    const ok = new Set(receiver.at(path).filter((r) => r.status === 200 && r.verified.some(Boolean)).map((r) => r.id));
    return ids.every((id) => ok.has(id));
  };

  it('keeps events committed before any worker runs, and sends what a worker killed mid-send had taken', async () => {
    const hook = await endpoint('/killed');
    const ids = await emit(hook, 30);
    // The first requests hang: their deliveries are taken and in flight when the worker dies.
    let healthy = false;
    receiver.answer = (r) => (r.path === '/killed' && !healthy ? { hang: true } : { status: 200 });
    const first = workers.spawn(WORKER, workerEnv);
    await receiver.waitUntil(() => receiver.at('/killed').length >= 5, 60_000, 'first attempts');
    await signalAndWait(first, 'SIGKILL');
    const { rows } = await pg.query(`SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS ok FROM webhook_deliveries WHERE webhook_id = $1`, [hook]);
    expect(rows[0].ok).toBeLessThan(30);

    healthy = true;
    workers.spawn(WORKER, workerEnv);
    await receiver.waitUntil(allReceived('/killed', ids), 90_000, 'every event after the kill');
    const log = (await api.request('GET', `/v1/webhooks/${hook}/deliveries?limit=500`, { key })).body.data;
    expect(await until(async () => (await api.request('GET', `/v1/webhooks/${hook}/deliveries?status=succeeded&limit=500`, { key })).body.data.length === 30)).toBe(true);
    expect(log).toHaveLength(30);
  }, 180_000);

  it('sends everything after Redis is flushed with deliveries queued', async () => {
    const hook = await endpoint('/flushed');
    receiver.answer = (r) => (r.path === '/flushed' ? { status: 200, delayMs: 200 } : { status: 200 });
    workers.spawn(WORKER, { ...workerEnv, WEBHOOK_CONCURRENCY: '20' }); // one job at a time: the rest wait in Redis
    const ids = await emit(hook, 60);
    await receiver.waitUntil(() => receiver.at('/flushed').length >= 3, 60_000, 'first deliveries');
    const keys = await redis.keys(`${api.config.REDIS_PREFIX}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    await receiver.waitUntil(allReceived('/flushed', ids), 90_000, 'every event after the flush');
    expect(await until(async () => (await api.request('GET', `/v1/webhooks/${hook}/deliveries?status=succeeded&limit=500`, { key })).body.data.length === 60)).toBe(true);
  }, 180_000);
});
