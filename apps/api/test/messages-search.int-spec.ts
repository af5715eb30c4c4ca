import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendingAccount, TestDnsServer, type SendingAccount } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

/** GET /v1/messages by stream and by acceptance time, as the dashboard's message search uses it. */
describe('searching messages by stream and date', () => {
  let dns: TestDnsServer;
  let api: TestApi;
  let sender: SendingAccount;
  let pg: Client;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    api = await startTestApi({ DNS_SERVERS: dns.address });
    sender = await createSendingAccount(api, dns, 'shop.test');
    pg = new Client({ connectionString: api.db.url });
    await pg.connect();
    for (const [name, stream] of [['old', 'transactional'], ['news', 'broadcast'], ['receipt', 'transactional']] as const) {
      const res = await api.request('POST', '/v1/messages', { key: sender.key, body: { from: 'a@shop.test', to: `${name}@example.test`, subject: name, text: 'x', stream } });
      ids[name] = res.body.id;
    }
    await pg.query(`UPDATE messages SET created_at = '2026-01-10T12:00:00Z' WHERE id = $1`, [ids.old]);
  });

  afterAll(async () => {
    await pg?.end();
    await api?.close();
    await dns?.close();
  });

  const subjects = async (query: string) => {
    const res = await api.request('GET', `/v1/messages?${query}`, { key: sender.key });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.data.map((m: { subject: string }) => m.subject);
  };

  it('filters by stream', async () => {
    expect(await subjects('stream=broadcast')).toEqual(['news']);
    expect(await subjects('stream=transactional')).toEqual(['receipt', 'old']);
  });

  it('filters by a time range, from inclusive and to exclusive', async () => {
    expect(await subjects('from=2026-01-10T00:00:00Z&to=2026-01-11T00:00:00Z')).toEqual(['old']);
    expect(await subjects('to=2026-01-10T12:00:00Z')).toEqual([]);
    expect(await subjects('from=2026-01-11T00:00:00Z&stream=transactional')).toEqual(['receipt']);
  });

  it('finds a recipient by the address in any case, with its status', async () => {
    expect(await subjects('recipient=NEWS@Example.TEST')).toEqual(['news']);
    expect(await subjects('recipient=receipt@example.test&status=queued')).toEqual(['receipt']);
    expect(await subjects('recipient=receipt@example.test&status=delivered')).toEqual([]);
    expect(await subjects('recipient=nobody@example.test')).toEqual([]);
  });

  it('refuses a date that is not ISO 8601', async () => {
    const res = await api.request('GET', '/v1/messages?from=yesterday', { key: sender.key });
    expect(res.status).toBe(400);
  });
});
