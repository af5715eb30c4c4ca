import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryRepository, WorkerRepository } from '@mailroom/db';
import { createSendingAccount, TestDnsServer, type SendingAccount } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

const LEASE = 3600;

/**
 * Claims belong to a worker while its heartbeat row lives: never taken from a live worker, free
 * once the row is reaped (heartbeat lapsed) or removed (clean stop), however long the lease.
 */
describe('claims and worker heartbeats', () => {
  let dns: TestDnsServer;
  let api: TestApi;
  let sender: SendingAccount;
  let pg: Client;
  let deliveries: DeliveryRepository;
  let workers: WorkerRepository;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    api = await startTestApi({ DNS_SERVERS: dns.address }); // no worker: the test claims
    sender = await createSendingAccount(api, dns, 'beats.test');
    pg = new Client({ connectionString: api.db.url });
    await pg.connect();
    deliveries = api.app.get(DeliveryRepository);
    workers = api.app.get(WorkerRepository);
  });

  afterAll(async () => {
    await pg?.end();
    await api?.close();
    await dns?.close();
  });

  async function message(to: string): Promise<string> {
    const res = await api.request('POST', '/v1/messages', { key: sender.key, body: { from: 'app@beats.test', to, subject: 'beat', text: 'x' } });
    expect(res.status).toBe(202);
    return res.body.id;
  }

  async function recipient(messageId: string): Promise<{ status: string; attempts: number; claimed_by: string | null }> {
    const { rows } = await pg.query('SELECT status, attempts, claimed_by FROM recipients WHERE message_id = $1', [messageId]);
    return rows[0];
  }

  it('keeps a live worker’s claim, gives it to another once the heartbeat lapsed, and ignores the late result of the first', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await workers.heartbeat(a, 'host-a', 1);
    await workers.heartbeat(b, 'host-b', 2);
    const messageId = await message('ann@elsewhere.test');
    const work = { messageId, domain: 'elsewhere.test' };

    const [first] = await deliveries.claim([work], LEASE, a);
    expect(first?.recipients.map((r) => r.status)).toEqual(['sending']);
    expect(await recipient(messageId)).toEqual({ status: 'sending', attempts: 1, claimed_by: a });
    // a beats: b finds nothing to claim, and nothing is reaped.
    expect(await deliveries.claim([work], LEASE, b)).toEqual([null]);
    expect(await workers.reapLapsed(5)).toEqual([]);

    // a falls silent for longer than the heartbeat timeout.
    await pg.query(`UPDATE workers SET heartbeat_at = now() - interval '1 minute' WHERE id = $1`, [a]);
    expect(await workers.reapLapsed(5)).toEqual([a]);
    expect(await workers.reapLapsed(5)).toEqual([]); // handed to one reaper only
    expect(await deliveries.claimsOf([a])).toEqual([{ messageId, domain: 'elsewhere.test', attempts: 1, runId: null, stream: 'transactional' }]);
    const [second] = await deliveries.claim([work], LEASE, b);
    expect(second?.recipients.map((r) => r.attempts)).toEqual([2]);

    // a's result arrives late: it belongs to the claim a lost, and changes nothing.
    await deliveries.record([{ recipientId: first!.recipients[0]!.id, status: 'delivered', detail: '250 late', suppress: false, attempt: 1 }]);
    expect(await recipient(messageId)).toEqual({ status: 'sending', attempts: 2, claimed_by: b });
  });

  it('frees the claims of a worker that stopped (its row removed) for the sweeper too, but not those from before heartbeats', async () => {
    const c = randomUUID();
    await workers.heartbeat(c, 'host-c', 3);
    const held = await message('bob@elsewhere.test');
    const legacy = await message('cy@elsewhere.test');
    await deliveries.claim([{ messageId: held, domain: 'elsewhere.test' }, { messageId: legacy, domain: 'elsewhere.test' }], LEASE, c);
    // A claim made by a worker of the version before heartbeats: no owner, only the lease frees it.
    await pg.query('UPDATE recipients SET claimed_by = NULL WHERE message_id = $1', [legacy]);

    const dueIds = async () => (await deliveries.due(5000, 30, LEASE)).map((d) => d.messageId);
    expect(await dueIds()).not.toContain(held);
    await workers.remove(c);
    expect(await dueIds()).toContain(held);
    expect(await dueIds()).not.toContain(legacy);
  });
});
