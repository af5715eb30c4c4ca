import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountKey, createSendingAccount, TestDnsServer, type SendingAccount } from '@mailroom/testing';
import { seedContacts, seedList, subscribe } from '../../mailroom/test/support/campaign-fixture';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

/**
 * Segments over real contacts in PostgreSQL: every operator of the grammar counted through the
 * API, filters that try SQL injection (they match nothing and break nothing), validation that
 * names the bad place, and one account never reaching another's segments, lists or contacts.
 */
describe('segments', () => {
  let dns: TestDnsServer;
  let api: TestApi;
  let pg: Client;
  let owner: SendingAccount;
  let listA: string;
  let listB: string;
  let ids: Record<string, string>;

  const days = (n: number) => new Date(Date.now() - n * 86_400_000);

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    api = await startTestApi({ DNS_SERVERS: dns.address });
    owner = await createSendingAccount(api, dns, 'segments.test');
    pg = new Client({ connectionString: api.db.url });
    await pg.connect();
    listA = await seedList(pg, owner.accountId, 'A');
    listB = await seedList(pg, owner.accountId, 'B');
    const people = [
      { email: 'ann@x.test', attributes: { plan: 'pro', seats: 12, tags: ['vip', 'beta'], company: { size: 'large' }, signup: '2025-03-01' }, createdAt: days(400) },
      { email: 'bob@x.test', attributes: { plan: 'free', seats: '3', tags: ['beta'] }, createdAt: days(10) },
      { email: 'cid@y.test', attributes: { plan: 'Pro Plus', seats: 40, signup: '2026-01-15' }, createdAt: days(5) },
      { email: 'dee@y.test', attributes: { plan: null, seats: 'many' }, status: 'unsubscribed' as const, createdAt: days(2) },
      { email: 'eve@z.test', attributes: {}, status: 'bounced' as const, createdAt: days(1) },
    ];
    const created = await seedContacts(pg, owner.accountId, people);
    ids = Object.fromEntries(people.map((p, i) => [p.email.split('@')[0]!, created[i]!]));
    await subscribe(pg, listA, [ids.ann!, ids.bob!, ids.cid!]);
    await subscribe(pg, listB, [ids.bob!]);
    await subscribe(pg, listB, [ids.cid!], 'unsubscribed');
    // Engagement: ann opened yesterday (a person); bob clicked 40 days ago; cid was only opened by a machine.
    const messageId = randomUUID();
    await pg.query(`INSERT INTO messages (id, account_id, domain_id, from_address, message_id_header, raw, size, stream) VALUES ($1, $2, $3, 'n@segments.test', $4, '\\x00', 1, 'broadcast')`, [messageId, owner.accountId, owner.domainId, `${messageId}@t`]);
    const engage = async (contact: string, type: string, at: Date, machine: boolean) => {
      const recipientId = randomUUID();
      await pg.query(`INSERT INTO recipients (id, message_id, account_id, email, domain, status, contact_id) VALUES ($1, $2, $3, 'x@x.test', 'x.test', 'delivered', $4)`, [recipientId, messageId, owner.accountId, contact]);
      await pg.query(`INSERT INTO message_events (message_id, recipient_id, account_id, type, data, created_at) VALUES ($1, $2, $3, $4::event_type, $5, $6)`, [messageId, recipientId, owner.accountId, type, JSON.stringify({ machine }), at]);
    };
    await engage(ids.ann!, 'opened', days(1), false);
    await engage(ids.bob!, 'clicked', days(40), false);
    await engage(ids.cid!, 'opened', days(1), true);
  });

  afterAll(async () => {
    await pg?.end();
    await api?.close();
    await dns?.close();
  });

  async function count(filter: unknown, key = owner.key): Promise<{ count: number; active: number }> {
    const created = await api.request('POST', '/v1/segments', { key, body: { name: 'probe', filter } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const counted = await api.request('GET', `/v1/segments/${created.body.id}/count`, { key });
    expect(counted.status).toBe(200);
    expect(counted.body.id).toBe(created.body.id);
    return { count: counted.body.count, active: counted.body.active };
  }

  /** How many contacts (any status) a filter matches, through the count endpoint. */
  async function matches(filter: unknown): Promise<number> {
    return (await count(filter)).count;
  }

  it('creates, reads, lists, updates and deletes a segment', async () => {
    const filter = { all: [{ field: 'attributes.plan', op: 'eq', value: 'pro' }] };
    const created = await api.request('POST', '/v1/segments', { key: owner.key, body: { name: 'Pro', filter } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Pro', filter });
    const got = await api.request('GET', `/v1/segments/${created.body.id}`, { key: owner.key });
    expect(got.body.filter).toEqual(filter);
    const listed = await api.request('GET', '/v1/segments?limit=100', { key: owner.key });
    expect(listed.body.data.map((s: { id: string }) => s.id)).toContain(created.body.id);
    const patched = await api.request('PATCH', `/v1/segments/${created.body.id}`, { key: owner.key, body: { name: 'Free', filter: { field: 'attributes.plan', op: 'eq', value: 'free' } } });
    expect(patched.status).toBe(200);
    expect((await api.request('GET', `/v1/segments/${created.body.id}/count`, { key: owner.key })).body).toEqual({ id: created.body.id, count: 1, active: 1 });
    expect((await api.request('DELETE', `/v1/segments/${created.body.id}`, { key: owner.key })).status).toBe(204);
    expect((await api.request('GET', `/v1/segments/${created.body.id}`, { key: owner.key })).status).toBe(404);
  });

  it('compares attributes: eq, neq, in, contains, exists, not_exists, gt, lt, nested paths', async () => {
    expect(await matches({ field: 'attributes.plan', op: 'eq', value: 'pro' })).toBe(1);
    expect(await matches({ field: 'attributes.seats', op: 'eq', value: 3 })).toBe(1); // "3" stored as text
    expect(await matches({ field: 'attributes.plan', op: 'neq', value: 'pro' })).toBe(4); // missing and null included
    expect(await matches({ field: 'attributes.plan', op: 'in', value: ['pro', 'free'] })).toBe(2);
    expect(await matches({ field: 'attributes.plan', op: 'contains', value: 'PRO' })).toBe(2); // case-insensitive substring
    expect(await matches({ field: 'attributes.tags', op: 'contains', value: 'beta' })).toBe(2); // array element
    expect(await matches({ field: 'attributes.tags', op: 'contains', value: 'bet' })).toBe(0); // arrays match whole elements
    expect(await matches({ field: 'attributes.plan', op: 'exists' })).toBe(3); // null is not there
    expect(await matches({ field: 'attributes.plan', op: 'not_exists' })).toBe(2);
    expect(await matches({ field: 'attributes.seats', op: 'gt', value: 10 })).toBe(2); // 12 and 40; "many" never compares
    expect(await matches({ field: 'attributes.seats', op: 'lt', value: 10 })).toBe(1); // "3"
    expect(await matches({ field: 'attributes.signup', op: 'gt', value: '2025-12-31' })).toBe(1); // text order
    expect(await matches({ field: 'attributes.company.size', op: 'eq', value: 'large' })).toBe(1);
  });

  it('filters by email, status, creation date and list membership (subscribed only)', async () => {
    expect(await matches({ field: 'email', op: 'ends_with', value: '@Y.test' })).toBe(2);
    expect(await matches({ field: 'email', op: 'in', value: ['ANN@x.test', 'nobody@x.test'] })).toBe(1);
    expect(await matches({ field: 'status', op: 'eq', value: 'active' })).toBe(3);
    expect(await matches({ field: 'status', op: 'in', value: ['bounced', 'unsubscribed'] })).toBe(2);
    expect(await matches({ field: 'created_at', op: 'after', value: days(30).toISOString() })).toBe(4);
    expect(await matches({ field: 'created_at', op: 'before', value: days(30).toISOString().slice(0, 10) })).toBe(1);
    expect(await matches({ field: 'list', op: 'member', value: listA })).toBe(3);
    expect(await matches({ field: 'list', op: 'member', value: listB })).toBe(1); // cid unsubscribed from B
    expect(await matches({ all: [{ field: 'list', op: 'member', value: listA }, { field: 'list', op: 'not_member', value: listB }] })).toBe(2);
  });

  it('filters by people’s engagement within days, ever, and never; machine opens do not count', async () => {
    expect(await matches({ field: 'engagement', op: 'opened', days: 30 })).toBe(1); // ann; cid's open was a machine's
    expect(await matches({ field: 'engagement', op: 'clicked', days: 30 })).toBe(0);
    expect(await matches({ field: 'engagement', op: 'clicked' })).toBe(1); // bob, ever
    expect(await matches({ field: 'engagement', op: 'opened_or_clicked', days: 60 })).toBe(2);
    expect(await matches({ field: 'engagement', op: 'not_opened_or_clicked' })).toBe(3);
    expect(await matches({ field: 'engagement', op: 'not_opened', days: 30 })).toBe(4);
  });

  it('combines all and any groups', async () => {
    const filter = {
      all: [
        { field: 'list', op: 'member', value: listA },
        { any: [{ field: 'attributes.plan', op: 'eq', value: 'pro' }, { field: 'engagement', op: 'clicked' }] },
      ],
    };
    expect(await count(filter)).toEqual({ count: 2, active: 2 });
    expect(await matches({ all: [] })).toBe(5);
  });

  it('treats SQL in values and attribute names as data: nothing matches, nothing breaks', async () => {
    const attempts = [
      { field: 'attributes.plan', op: 'eq', value: "pro' OR '1'='1" },
      { field: "attributes.plan') OR true --", op: 'exists' },
      { field: 'attributes.plan"; DROP TABLE contacts; --', op: 'eq', value: 'x' },
      { field: 'attributes.seats', op: 'lt', value: "' OR 1=1 --" },
      { field: 'email', op: 'contains', value: "%' OR 1=1 --" },
      { field: 'attributes.tags', op: 'contains', value: '"]\' || true || \'["' },
      { field: 'attributes.plan', op: 'in', value: ["x') OR ('a'='a"] },
    ];
    for (const filter of attempts) expect(await matches(filter), JSON.stringify(filter)).toBe(0);
    const { rows } = await pg.query('SELECT count(*)::int AS n FROM contacts');
    expect(rows[0].n).toBe(5);
  });

  it('refuses malformed filters with a 422 that names the place', async () => {
    const refused = async (filter: unknown) => {
      const res = await api.request('POST', '/v1/segments', { key: owner.key, body: { name: 'bad', filter } });
      expect(res.status, JSON.stringify(filter)).toBe(422);
      expect(res.body.error.code).toBe('invalid_filter');
      return res.body.error.message as string;
    };
    expect(await refused({ field: 'plan', op: 'eq', value: 'x' })).toMatch(/filter\.field: unknown field "plan"/);
    expect(await refused({ all: [{ field: 'attributes.plan', op: 'like', value: 'x' }] })).toMatch(/^filter\.all\[0\]\.op/);
    expect(await refused({ field: 'list', op: 'member', value: "1' OR '1'='1" })).toMatch(/filter\.value/);
    expect(await refused({ field: 'engagement', op: 'opened', days: -1 })).toMatch(/filter\.days/);
    expect(await refused({ field: 'created_at', op: 'after', value: 'yesterday' })).toMatch(/filter\.value/);
    expect(await refused({ any: [] })).toMatch(/at least one/);
    expect(await refused({ all: [{ all: [{ all: [{ all: [{ all: [{ all: [] }] }] }] }] }] })).toMatch(/nest at most 5/);
    expect(await refused({ all: [], any: [] })).toMatch(/a condition needs "field"/);
    expect(await refused({ field: 'attributes.', op: 'exists' })).toMatch(/attribute names/);
    const missing = await api.request('POST', '/v1/segments', { key: owner.key, body: { name: 'no filter' } });
    expect(missing.status).toBe(400);
  });

  it('keeps accounts apart: segments, lists and contacts of another account are out of reach', async () => {
    const other = await createAccountKey(api, 'other');
    const mine = await api.request('POST', '/v1/segments', { key: owner.key, body: { name: 'mine', filter: { all: [] } } });
    for (const [method, path] of [
      ['GET', `/v1/segments/${mine.body.id}`],
      ['GET', `/v1/segments/${mine.body.id}/count`],
      ['PATCH', `/v1/segments/${mine.body.id}`],
      ['DELETE', `/v1/segments/${mine.body.id}`],
    ] as const) {
      const res = await api.request(method, path, { key: other.key, body: method === 'PATCH' ? { name: 'stolen' } : undefined });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await api.request('GET', '/v1/segments', { key: other.key })).body.data).toEqual([]);
    const theirList = await api.request('POST', '/v1/segments', { key: other.key, body: { name: 'x', filter: { field: 'list', op: 'member', value: listA } } });
    expect(theirList.status).toBe(422);
    expect(theirList.body.error.code).toBe('unknown_list');
    // Everyone-in-the-account is the other account's nobody.
    expect(await count({ all: [] }, other.key)).toEqual({ count: 0, active: 0 });
  });
});
