import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendingAccount, type SendingAccount, type TestDnsServer } from '@mailroom/testing';
import { startApiWithDns, type ApiWithDns, type TestApi } from '../../mailroom/test/support/test-api';

/** The send API as a client sees it: validation, limits, idempotency, batches, templates, suppressions. */
describe('sending over the REST API', () => {
  let dns: TestDnsServer;
  let api: TestApi;
  let sender: SendingAccount;
  let other: SendingAccount;
  let pg: Client;
  let setup: ApiWithDns;

  beforeAll(async () => {
    ({ api, dns, pg } = setup = await startApiWithDns({ MAX_MESSAGE_SIZE: String(200 * 1024) }));
    sender = await createSendingAccount(api, dns, 'shop.test');
    other = await createSendingAccount(api, dns, 'other.test');
  });

  afterAll(async () => {
    await setup?.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}, key = sender.key) => api.request('POST', '/v1/messages', { key, body, headers });
  const base = { from: 'Shop <orders@shop.test>', to: 'customer@example.test', subject: 'Your order', text: 'Thanks!' };
  const raw = async (id: string) => (await pg.query<{ raw: Buffer }>('SELECT raw FROM messages WHERE id = $1', [id])).rows[0]!.raw.toString();

  it('accepts a message, stores it before answering 202, and shows it queued', async () => {
    const res = await post(base);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: expect.any(String), status: 'queued' });
    const stored = await raw(res.body.id);
    expect(stored).toMatch(/^From: Shop <orders@shop\.test>\r$/m);
    expect(stored).toMatch(/^Message-ID: <[^>]+@mx\.mailroom\.test>\r$/m); // MAIL_HOSTNAME (SPEC 3)
    const shown = await api.request('GET', `/v1/messages/${res.body.id}`, { key: sender.key });
    expect(shown.body.recipients).toEqual([expect.objectContaining({ email: 'customer@example.test', status: 'queued', kind: 'to' })]);
  });

  it('refuses senders outside the account with a clear error', async () => {
    const foreign = await post({ ...base, from: 'x@other.test' });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.code).toBe('unknown_sender_domain');
    const unverified = await api.request('POST', '/v1/domains', { key: sender.key, body: { name: 'new.shop.test' } });
    expect(unverified.status).toBe(201);
    const res = await post({ ...base, from: 'x@new.shop.test' });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'domain_not_verified', message: expect.stringContaining('/verify') });
  });

  it('refuses CR or LF in any header value (no header injection)', async () => {
    for (const body of [
      { ...base, subject: 'Hi\r\nBcc: victim@example.test' },
      { ...base, headers: { 'X-Campaign': 'a\nBcc: victim@example.test' } },
      { ...base, to: 'a@example.test\r\nBcc: victim@example.test' },
      { ...base, from: 'Shop\r\nBcc: victim@example.test <orders@shop.test>' },
    ]) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    const reserved = await post({ ...base, headers: { Bcc: 'victim@example.test' } });
    expect(reserved.body.error.code).toBe('reserved_header');
    expect((await pg.query(`SELECT count(*)::int AS n FROM recipients WHERE email = 'victim@example.test'`)).rows[0].n).toBe(0);
  });

  it('validates addresses, accepting internationalized ones', async () => {
    const bad = await post({ ...base, to: 'not an address' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('invalid_address');
    const idn = await post({ ...base, to: ['josé@exämple.test', 'user@xn--bcher-kva.test'] });
    expect(idn.status, JSON.stringify(idn.body)).toBe(202);
    const shown = await api.request('GET', `/v1/messages/${idn.body.id}`, { key: sender.key });
    // Domains are kept as A-labels (what DNS and the MX see); the local part stays UTF-8 (SMTPUTF8).
    expect(shown.body.recipients.map((r: { email: string }) => r.email).sort()).toEqual(['josé@xn--exmple-cua.test', 'user@xn--bcher-kva.test']);
  });

  it('answers 413 for attachments over the size limit, 400 for malformed bodies', async () => {
    const big = Buffer.alloc(300 * 1024, 1).toString('base64');
    const res = await post({ ...base, attachments: [{ filename: 'big.bin', content: big, content_type: 'application/octet-stream' }] });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('message_too_large');
    const malformed = await post({ ...base, unknown_field: 1 });
    expect(malformed.status).toBe(400);
    const small = await post({ ...base, attachments: [{ filename: 'a.txt', content: Buffer.from('hello').toString('base64'), content_type: 'text/plain' }] });
    expect(small.status).toBe(202);
    expect(await raw(small.body.id)).toContain('filename=a.txt');
  });

  it('answers 401 to a body without a valid key before reading it', async () => {
    const body = JSON.stringify({ ...base, text: 'x'.repeat(2 * 1024 * 1024) });
    for (const headers of [{}, { authorization: 'Bearer mr_live_not-a-key' }] as Array<Record<string, string>>) {
      const res = await fetch(`${api.baseUrl}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      expect(res.status).toBe(401);
    }
  });

  it('returns the first answer for a repeated Idempotency-Key and sends nothing new', async () => {
    const first = await post(base, { 'Idempotency-Key': 'order-1001' });
    const second = await post(base, { 'Idempotency-Key': 'order-1001' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    // Keys are per account: another account's same key is its own.
    const elsewhere = await post({ ...base, from: 'x@other.test' }, { 'Idempotency-Key': 'order-1001' }, other.key);
    expect(elsewhere.body.id).not.toBe(first.body.id);
  });

  it('accepts batches of up to 500, answering each item on its own', async () => {
    const res = await api.request('POST', '/v1/messages/batch', {
      key: sender.key,
      body: [base, { ...base, to: 'broken' }, { ...base, subject: 'x\ny' }, { ...base, stream: 'broadcast' }],
    });
    expect(res.status).toBe(202);
    expect(res.body).toHaveLength(4);
    expect(res.body[0]).toMatchObject({ id: expect.any(String), status: 'queued' });
    expect(res.body[1].error.code).toBe('invalid_address');
    expect(res.body[2].error.code).toBeDefined();
    expect(res.body[3]).toMatchObject({ status: 'queued' });
    // Message ids grow with time (UUIDv7): a batch's rows go in at the right edge of the keys.
    expect([res.body[0].id[14], res.body[3].id[14]]).toEqual(['7', '7']);
    expect(res.body[3].id > res.body[0].id).toBe(true);
    const tooMany = await api.request('POST', '/v1/messages/batch', { key: sender.key, body: Array.from({ length: 501 }, () => base) });
    expect(tooMany.status).toBe(400);
  });

  it('renders templates with HTML escaping by default, version by version', async () => {
    const created = await api.request('POST', '/v1/templates', {
      key: sender.key,
      body: { name: 'welcome', subject: 'Welcome {{name}}', html: '<p>Hello {{name}}</p>', text: 'Hello {{name}}' },
    });
    expect(created.status).toBe(201);
    const sent = await post({ from: base.from, to: base.to, template_id: created.body.id, data: { name: '<b>Ann</b>' } });
    expect(sent.status).toBe(202);
    const mime = await raw(sent.body.id);
    expect(mime).toContain('Subject: Welcome <b>Ann</b>');
    expect(mime).toContain('&lt;b&gt;Ann&lt;/b&gt;');
    const updated = await api.request('PUT', `/v1/templates/${created.body.id}`, { key: sender.key, body: { name: 'welcome', subject: 'Hi {{name}}', html: '<p>v2 {{name}}</p>' } });
    expect(updated.status).toBe(200);
    const again = await post({ from: base.from, to: base.to, template_id: created.body.id, data: { name: 'Bo' } });
    expect(await raw(again.body.id)).toContain('Subject: Hi Bo');
    // Another account cannot use it.
    const stolen = await post({ from: 'x@other.test', to: base.to, template_id: created.body.id, data: {} }, {}, other.key);
    expect(stolen.body.error.code).toBe('unknown_template');
  });

  it('manages suppressions, and a suppressed address is recorded suppressed at once', async () => {
    const added = await api.request('POST', '/v1/suppressions', { key: sender.key, body: { email: 'Blocked@Example.test', reason: 'manual' } });
    expect(added.status).toBe(201);
    const sent = await post({ ...base, to: ['blocked@example.test', 'fine@example.test'] });
    const shown = await api.request('GET', `/v1/messages/${sent.body.id}`, { key: sender.key });
    const byEmail = Object.fromEntries(shown.body.recipients.map((r: { email: string; status: string }) => [r.email, r.status]));
    expect(byEmail).toEqual({ 'blocked@example.test': 'suppressed', 'fine@example.test': 'queued' });
    expect((await api.request('GET', '/v1/suppressions', { key: other.key })).body.data).toEqual([]);
    expect((await api.request('DELETE', '/v1/suppressions/blocked@example.test', { key: sender.key })).status).toBe(204);
    expect((await api.request('GET', '/v1/suppressions', { key: sender.key })).body.data).toEqual([]);
  });

  it('gives the hour’s quota back when the messages could not be stored', async () => {
    const limited = await createSendingAccount(api, dns, 'quota.test');
    await api.request('PATCH', `/v1/accounts/${limited.accountId}`, { key: api.adminKey, body: { send_limit_per_hour: 2 } });
    const send = (subject: string) => post({ ...base, from: 'app@quota.test', subject }, {}, limited.key);
    // The database refuses this one subject, as it would refuse everything while it is down.
    await pg.query(`ALTER TABLE messages ADD CONSTRAINT test_refuse_subject CHECK (subject <> 'cannot be stored')`);
    try {
      for (let i = 0; i < 3; i++) expect((await send('cannot be stored')).status).toBe(500);
    } finally {
      await pg.query('ALTER TABLE messages DROP CONSTRAINT test_refuse_subject');
    }
    // Three failed stores used none of the two messages this hour allows.
    expect((await send('first')).status).toBe(202);
    expect((await send('second')).status).toBe(202);
    const third = await send('third');
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('send_limit_exceeded');
  });

  it('lists messages newest first with a cursor and filters, only the caller’s own', async () => {
    for (let i = 0; i < 3; i++) await post({ ...base, to: `list${i}@example.test`, tags: ['listing'] });
    const page1 = await api.request('GET', '/v1/messages?tag=listing&limit=2', { key: sender.key });
    expect(page1.status).toBe(200);
    expect(page1.body.data).toHaveLength(2);
    const page2 = await api.request('GET', `/v1/messages?tag=listing&limit=2&cursor=${page1.body.next_cursor}`, { key: sender.key });
    expect(page2.body.data).toHaveLength(1);
    const ids = [...page1.body.data, ...page2.body.data].map((m: { id: string }) => m.id);
    expect(new Set(ids).size).toBe(3);
    expect((await api.request('GET', '/v1/messages?tag=listing', { key: other.key })).body.data).toEqual([]);
    expect((await api.request('GET', `/v1/messages/${ids[0]}`, { key: other.key })).status).toBe(404);
  });
});
