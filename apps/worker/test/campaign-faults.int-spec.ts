import type { Redis } from 'ioredis';
import type { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { arrivals, BuiltProcesses, createSendingAccount, signalAndWait, startDestination, until, type SendingAccount, type SmtpSink, type TestDestination, type TestDnsServer } from '@mailroom/testing';
import { campaignOf, messageIdsAtSink, seedContacts, seedList } from '../../mailroom/test/support/campaign-fixture';
import type { TestApi } from '../../mailroom/test/support/test-api';
import { startWorkerRig, type WorkerRig } from '../../mailroom/test/support/worker-rig';

const WORKER = 'dist/apps/worker/src/main.js';
const CONTACTS = 300;
/** SMTP transactions one worker can have open to the sink: what may be sent twice when it dies. */
const CONNECTIONS = 4;

/**
 * A campaign outlives its workers and Redis: kill -9 of the worker mid-campaign (while it is
 * materializing batches and delivering), then Redis emptied, then a new worker. Everyone gets
 * the campaign, nobody is skipped, and only what was in flight can arrive twice. The API runs in
 * the test; workers are real processes.
 */
describe('campaign faults', () => {
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
    ({ dns, sink } = destination = await startDestination('campaign-faults.test', '127.0.0.42'));
    ({ api, redis, pg, workerEnv } = rig = await startWorkerRig({ ...destination.env, SWEEP_INTERVAL_SECONDS: '2' }, { WORKER_CONCURRENCY: '8', DESTINATION_MAX_CONNECTIONS: String(CONNECTIONS), DELIVERY_LEASE_SECONDS: '3600' }));
    sender = await createSendingAccount(api, dns, 'campaign-sender.test');
  });

  afterEach(async () => {
    await workers.killAll();
  });

  afterAll(async () => {
    await rig?.close();
    await destination?.close();
  });

  const startWorker = () => workers.start(WORKER, workerEnv, '"worker ready"');

  it('continues after kill -9 of its worker and a flushed Redis: everyone once, nobody skipped, at most the in-flight twice', async () => {
    sink.behaviour = { delayMs: 100 };
    const listId = await seedList(pg, sender.accountId, 'big');
    await seedContacts(pg, sender.accountId, Array.from({ length: CONTACTS }, (_, i) => ({ email: `kf${i}@campaign-faults.test`, attributes: { n: i } })), listId);
    const created = await api.request('POST', '/v1/campaigns', {
      key: sender.key,
      body: { name: 'faults', from: 'news@campaign-sender.test', subject: 'Issue {{contact.attributes.n}}', html: '<p>{{contact.attributes.n}}</p><a href="{{unsubscribe_url}}">unsubscribe</a>', list_ids: [listId], rate_per_minute: 600 },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const first = await startWorker();
    expect((await api.request('POST', `/v1/campaigns/${id}/send`, { key: sender.key })).status).toBe(200);

    await until(() => arrivals(sink, 'kf').size >= 40, { timeoutMs: 120_000 });
    await signalAndWait(first, 'SIGKILL');
    const atKill = await campaignOf(api, sender.key, id);
    expect(atKill.progress.pending).toBeGreaterThan(0); // it died mid-materialization
    const keys = await redis.keys(`${api.config.REDIS_PREFIX}:*`);
    if (keys.length) await redis.del(...keys); // FLUSHALL, of this test's Redis only

    await startWorker();
    const done = await until(async () => (await campaignOf(api, sender.key, id)).status === 'sent', { timeoutMs: 240_000, intervalMs: 500 });
    const final = await campaignOf(api, sender.key, id);
    expect(done, `${JSON.stringify(final.progress)} ${JSON.stringify(final.results)}\n${workers.tails()}`).toBe(true);
    expect(final.progress).toMatchObject({ total: CONTACTS, materialized: CONTACTS, pending: 0, skipped: 0 });
    expect(final.results).toMatchObject({ recipients: CONTACTS, sent: CONTACTS, delivered: CONTACTS });
    const got = arrivals(sink, 'kf');
    expect(got.size).toBe(CONTACTS);
    const twice = [...messageIdsAtSink(sink, 'kf').values()].filter((n) => n > 1).length;
    expect(twice).toBeLessThanOrEqual(CONNECTIONS);
    console.log(`campaign kill -9 + Redis flush: ${CONTACTS} delivered, ${twice} sent twice (at most ${CONNECTIONS} in flight), ${atKill.progress.pending} were pending at the kill`);
  }, 420_000);
});
