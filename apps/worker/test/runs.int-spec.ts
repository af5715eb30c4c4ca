import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullConnection, QUEUES } from '@mailroom/queue';
import { createSendingAccount, SmtpSink, TEST_REDIS_URL, TestDnsServer, type SendingAccount, until } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';
import { Sweeper } from '../src/delivery/sweeper';

/**
 * Messages accepted together for one domain travel as runs (`deliver-batch` jobs of up to
 * DELIVERY_BATCH_SIZE), each delivered over one destination slot; the destination's rate still
 * counts every message, and the sweeper still finds what Redis lost.
 */
async function installation(env: Record<string, string>, options: { worker?: boolean; sweeperOnly?: boolean } = {}) {
  const dns = await TestDnsServer.start();
  const sink = await SmtpSink.start({ host: '127.0.0.1' });
  dns.add({ type: 'MX', name: 'runs.test', exchange: 'mx.runs.test', priority: 10 });
  dns.add({ type: 'A', name: 'mx.runs.test', address: '127.0.0.1' });
  const modules = options.sweeperOnly ? [{ module: class SweeperOnly {}, providers: [Sweeper] }] : [];
  const api = await startTestApi({ DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(sink.port), DELIVERY_BATCH_SIZE: '10', ...env }, { worker: options.worker, modules });
  const sender = await createSendingAccount(api, dns, 'runs-sender.test');
  const pg = new Client({ connectionString: api.db.url });
  await pg.connect();
  return {
    dns,
    sink,
    api,
    sender,
    pg,
    async sendBatch(count: number, tag: string): Promise<string[]> {
      const body = Array.from({ length: count }, (_, i) => ({ from: 'app@runs-sender.test', to: `${tag}${i}@runs.test`, subject: `${tag} ${i}`, text: 'x' }));
      const res = await api.request('POST', '/v1/messages/batch', { key: sender.key, body });
      expect(res.status).toBe(202);
      return res.body.map((r: { id: string }) => r.id);
    },
    async statuses(ids: string[]): Promise<Record<string, number>> {
      const { rows } = await pg.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM recipients WHERE message_id = ANY($1::uuid[]) GROUP BY status', [ids]);
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
    async close(): Promise<void> {
      await pg.end();
      await api.close();
      await sink.close();
      await dns.close();
    },
  };
}

type Installation = Awaited<ReturnType<typeof installation>>;

describe('delivery in runs', () => {
  let mr: Installation;
  beforeAll(async () => {
    mr = await installation({}, { worker: true });
  });
  afterAll(async () => mr?.close());

  it('delivers a batch to one domain in runs over a few connections, with every step on each timeline', async () => {
    const ids = await mr.sendBatch(25, 'run');
    await mr.sink.waitFor(25, 30_000);
    // 25 messages in runs of at most 10: three jobs, so at most three connections (one slot each).
    expect(mr.sink.connections.size).toBeLessThanOrEqual(3);
    expect(new Set(mr.sink.recipients())).toEqual(new Set(Array.from({ length: 25 }, (_, i) => `run${i}@runs.test`)));
    await until(async () => (await mr.statuses(ids)).delivered === 25, { intervalMs: 100 });
    expect(await mr.statuses(ids)).toEqual({ delivered: 25 });
    const message = await mr.api.request('GET', `/v1/messages/${ids[17]}`, { key: mr.sender.key });
    expect(message.body.events.map((e: { type: string }) => e.type)).toEqual(['queued', 'sending', 'delivered']);
  });
});

describe('delivery in runs to a destination with a rate', () => {
  let mr: Installation;
  beforeAll(async () => {
    mr = await installation({ DESTINATION_MESSAGES_PER_MINUTE: '4' }, { worker: true });
  });
  afterAll(async () => mr?.close());

  it('sends no more of a run than the rate allows, and keeps the rest queued for the next minute', async () => {
    const ids = await mr.sendBatch(10, 'rated');
    await mr.sink.waitFor(4, 30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    // Four a minute; a minute boundary during the test may let four more through, never all ten.
    expect(mr.sink.count).toBeGreaterThanOrEqual(4);
    expect(mr.sink.count).toBeLessThanOrEqual(8);
    const statuses = await mr.statuses(ids);
    expect(statuses.delivered).toBe(mr.sink.count);
    expect(statuses.queued).toBe(10 - mr.sink.count);
    // The rest waits as the same run, delayed to the next minute.
    const queue = new Queue(QUEUES.delivery, { connection: bullConnection(mr.api.config), prefix: mr.api.config.REDIS_PREFIX });
    try {
      const delayed = await queue.getJobs(['delayed']);
      expect(delayed.map((j) => j.data.messageIds.length)).toEqual([10 - mr.sink.count]);
    } finally {
      await queue.close();
    }
  });
});

describe('the sweeper and runs', () => {
  let mr: Installation;
  let redis: Redis;
  let queue: Queue;
  beforeAll(async () => {
    // No worker: jobs stay on the queue. Sweeps only when the test calls them.
    mr = await installation({ SWEEP_INTERVAL_SECONDS: '3600' }, { sweeperOnly: true });
    redis = new Redis(TEST_REDIS_URL);
    queue = new Queue(QUEUES.delivery, { connection: bullConnection(mr.api.config), prefix: mr.api.config.REDIS_PREFIX });
  });
  afterAll(async () => {
    await queue?.close();
    redis?.disconnect();
    await mr?.close();
  });

  const jobsOnQueue = async () => {
    const counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };

  it('puts queued work of a run back as that run: a no-op while the run waits, the whole run once Redis lost it', async () => {
    const sweeper = mr.api.app.get(Sweeper);
    const ids = await mr.sendBatch(20, 'swept');
    expect(await jobsOnQueue()).toBe(2);
    expect(await sweeper.sweep()).toBe(0);

    // Queued for longer than a sweep interval: swept, but as the runs still waiting (same ids).
    await mr.pg.query(`UPDATE recipients SET updated_at = now() - interval '2 hours' WHERE message_id = ANY($1::uuid[])`, [ids]);
    expect(await sweeper.sweep()).toBe(20);
    expect(await jobsOnQueue()).toBe(2);

    // Redis loses everything of this installation: the sweep brings back the two runs, whole.
    const keys = await redis.keys(`${mr.api.config.REDIS_PREFIX}:*`);
    await redis.del(...keys);
    expect(await jobsOnQueue()).toBe(0);
    expect(await sweeper.sweep()).toBe(20);
    const jobs = await queue.getJobs(['prioritized', 'wait']);
    expect(jobs.map((j) => j.name)).toEqual(['deliver-batch', 'deliver-batch']);
    expect(new Set(jobs.flatMap((j) => j.data.messageIds))).toEqual(new Set(ids));
    expect(await mr.statuses(ids)).toEqual({ queued: 20 });
  });
});
