import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '@mailroom/db';
import { createAccountKey, publishRecords, TestDnsServer, type DnsRecordDto as DnsRecord } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

/**
 * Who may hold a domain name: any account may add one, but it is that account's only once the
 * ownership TXT record (or its own DKIM key) is found in the domain's DNS. Until then it does not
 * block anyone, expires, and (apps/smtp/test/inbound-ownership.int-spec.ts) receives no mail.
 * The installation's own names are nobody's. MAIL_HOSTNAME is mx.mailroom.test (testConfig).
 */
describe('domain ownership over the REST API', () => {
  let api: TestApi;
  let dns: TestDnsServer;
  let n = 0;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    api = await startTestApi({ DNS_SERVERS: dns.address });
  });

  afterAll(async () => {
    await api?.close();
    await dns?.close();
  });

  const account = async () => (await createAccountKey(api, `account ${++n}`)).key;
  const publish = (records: DnsRecord[]) => publishRecords(dns, records);

  const verify = (key: string, id: string) => api.request('POST', `/v1/domains/${id}/verify`, { key });

  it('refuses MAIL_HOSTNAME, its parent domains, names under it and return-path names as reserved (422)', async () => {
    const key = await account();
    for (const name of ['mx.mailroom.test', 'MX.Mailroom.Test.', 'mailroom.test', 'smtp.mx.mailroom.test', 'mr-bounces.shop.test', 'x.mr-bounces.shop.test']) {
      const res = await api.request('POST', '/v1/domains', { key, body: { name } });
      expect(res.status, name).toBe(422);
      expect(res.body.error.code, name).toBe('reserved_name');
    }
    // A sibling of MAIL_HOSTNAME is an ordinary name.
    expect((await api.request('POST', '/v1/domains', { key, body: { name: 'shop.mailroom.test' } })).status).toBe(201);
  });

  it("lets the operator (an admin key) add a parent of MAIL_HOSTNAME to an account, never MAIL_HOSTNAME itself", async () => {
    const created = await api.request('POST', '/v1/accounts', { key: api.adminKey, body: { name: 'the operator' } });
    const asOperator = (name: string) => api.request('POST', '/v1/domains', { key: api.adminKey, headers: { 'x-account-id': created.body.id }, body: { name } });
    const parent = await asOperator('mailroom.test');
    expect(parent.status).toBe(201);
    // Still only added: the operator proves it in DNS like anyone else.
    expect(parent.body.ownership.verified_at).toBeNull();
    for (const name of ['mx.mailroom.test', 'smtp.mx.mailroom.test', 'mr-bounces.mailroom.test']) {
      const res = await asOperator(name);
      expect(res.status, name).toBe(422);
      expect(res.body.error.code, name).toBe('reserved_name');
    }
  });

  it('returns an ownership TXT record that verify checks: missing or wrong, the domain stays unowned and unverified', async () => {
    const key = await account();
    const created = await api.request('POST', '/v1/domains', { key, body: { name: 'tokens.test' } });
    expect(created.status).toBe(201);
    expect(created.body.verified).toBe(false);
    expect(created.body.verification.ownership).toBe(false);
    const record = created.body.ownership.record as DnsRecord;
    expect(record).toEqual({ purpose: 'ownership', type: 'TXT', name: '_mailroom.tokens.test', value: expect.stringMatching(/^mailroom-verification=[0-9a-f]{32}$/) });
    expect(new Date(created.body.ownership.expires_at).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect(created.body.ownership.verified_at).toBeNull();

    // Everything but the ownership proof: SPF, return path and DMARC prove nothing about ownership.
    publish((created.body.dns as DnsRecord[]).filter((r) => r.purpose !== 'dkim'));
    const missing = await verify(key, created.body.id);
    expect(missing.status).toBe(200);
    expect(missing.body.ownership.record.state).toBe('missing');
    expect(missing.body).toMatchObject({ verified: false, verification: { ownership: false, spf: true, return_path: true } });

    dns.add({ type: 'TXT', name: '_mailroom.tokens.test', value: 'mailroom-verification=00000000000000000000000000000000' });
    const wrong = await verify(key, created.body.id);
    expect(wrong.body.ownership.record).toMatchObject({ state: 'mismatch', found: ['mailroom-verification=00000000000000000000000000000000'] });
    expect(wrong.body).toMatchObject({ verified: false, verification: { ownership: false } });

    // Another account's token for the same name proves nothing for this one.
    const otherKey = await account();
    const other = await api.request('POST', '/v1/domains', { key: otherKey, body: { name: 'tokens.test' } });
    dns.add({ type: 'TXT', name: '_mailroom.tokens.test', value: other.body.ownership.record.value });
    expect((await verify(key, created.body.id)).body.verification.ownership).toBe(false);

    // The right token proves ownership; sending also needs DKIM, so the domain is owned, not verified.
    dns.add({ type: 'TXT', name: '_mailroom.tokens.test', value: record.value });
    const owned = await verify(key, created.body.id);
    expect(owned.body.ownership.record.state).toBe('verified');
    expect(owned.body).toMatchObject({ verified: false, verification: { ownership: true, dkim: false } });
    expect(owned.body.ownership).toMatchObject({ verified_at: expect.any(String), expires_at: null });
    const send = await api.request('POST', '/v1/messages', { key, body: { from: 'a@tokens.test', to: 'b@example.test', subject: 'x', text: 'x' } });
    expect(send.status).toBe(422);
    expect(send.body.error.code).toBe('domain_not_verified');
  });

  it('lets several accounts add a name nobody has proven; the first to prove it owns it, the others are dropped and refused', async () => {
    const squatter = await account();
    const owner = await account();
    const late = await account();
    const squatted = await api.request('POST', '/v1/domains', { key: squatter, body: { name: 'victim-corp.test' } });
    expect(squatted.status).toBe(201);
    const squattedSub = await api.request('POST', '/v1/domains', { key: squatter, body: { name: 'mail.victim-corp.test' } });
    expect(squattedSub.status).toBe(201);

    // The squatter's registration does not block the real owner.
    const mine = await api.request('POST', '/v1/domains', { key: owner, body: { name: 'Victim-Corp.test' } });
    expect(mine.status).toBe(201);
    expect(mine.body.ownership.record.value).not.toBe(squatted.body.ownership.record.value);
    // One registration of a name per account.
    const twice = await api.request('POST', '/v1/domains', { key: owner, body: { name: 'victim-corp.test' } });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('domain_exists');

    // The owner publishes the records they were given (DKIM included) and verifies.
    publish(mine.body.dns as DnsRecord[]);
    const verified = await verify(owner, mine.body.id);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ verified: true, verification: { ownership: true, dkim: true, spf: true, return_path: true } });

    // The squatter's pending registrations of the name and of its subdomains are gone ...
    expect((await api.request('GET', `/v1/domains/${squatted.body.id}`, { key: squatter })).status).toBe(404);
    expect((await api.request('GET', `/v1/domains/${squattedSub.body.id}`, { key: squatter })).status).toBe(404);
    expect((await api.request('GET', '/v1/domains', { key: squatter })).body).toEqual([]);
    // ... and nobody else may add the name or a name under it.
    for (const [name, code] of [
      ['victim-corp.test', 'domain_exists'],
      ['mail.victim-corp.test', 'parent_domain_exists'],
      ['a.b.victim-corp.test', 'parent_domain_exists'],
    ]) {
      const res = await api.request('POST', '/v1/domains', { key: late, body: { name } });
      expect(res.status, name).toBe(409);
      expect(res.body.error.code, name).toBe(code);
      expect(res.body.error.message, name).toContain('another account');
    }
    // The owner may add its own subdomains.
    expect((await api.request('POST', '/v1/domains', { key: owner, body: { name: 'news.victim-corp.test' } })).status).toBe(201);
    // A parent of the owned name is not the owner's: another account that proves it may have it.
    expect((await api.request('POST', '/v1/domains', { key: late, body: { name: 'corp.test' } })).status).toBe(201);
  });

  it("drops another account's pending subdomain when the parent is proven, whatever the order they were added in", async () => {
    const parentOwner = await account();
    const other = await account();
    const sub = await api.request('POST', '/v1/domains', { key: other, body: { name: 'shop.race.test' } });
    const parent = await api.request('POST', '/v1/domains', { key: parentOwner, body: { name: 'race.test' } });
    publish(parent.body.dns as DnsRecord[]);
    expect((await verify(parentOwner, parent.body.id)).body.verified).toBe(true);
    // The pending subdomain was dropped when the parent was proven.
    expect((await verify(other, sub.body.id)).status).toBe(404);
  });

  it('lets exactly one of two accounts that prove the same name at the same moment own it', async () => {
    const [a, b] = [await account(), await account()];
    const [da, db] = [
      await api.request('POST', '/v1/domains', { key: a, body: { name: 'race2.test' } }),
      await api.request('POST', '/v1/domains', { key: b, body: { name: 'race2.test' } }),
    ];
    // One company, two accounts: both tokens are published.
    for (const d of [da, db]) dns.add({ type: 'TXT', name: d.body.ownership.record.name, value: d.body.ownership.record.value });
    const results = await Promise.all([verify(a, da.body.id), verify(b, db.body.id)]);
    const winners = results.filter((r) => r.status === 200 && r.body.verification.ownership);
    expect(winners).toHaveLength(1);
    const loser = results.find((r) => !winners.includes(r))!;
    // Dropped before its check started (404), or beaten while checking (409).
    expect([404, 409]).toContain(loser.status);
    if (loser.status === 409) expect(loser.body.error.code).toBe('domain_exists');
  });

  it('removes registrations still unproven when they expire', async () => {
    const key = await account();
    const stale = await api.request('POST', '/v1/domains', { key, body: { name: 'stale.test' } });
    const box = await api.request('POST', '/v1/mailboxes', { key, body: { address: 'info@stale.test', password: 'a long password' } });
    expect(box.status).toBe(201);
    const fresh = await api.request('POST', '/v1/domains', { key, body: { name: 'fresh.test' } });
    const prisma = api.app.get(PrismaService);
    await prisma.domain.update({ where: { id: stale.body.id }, data: { expiresAt: new Date(Date.now() - 1000) } });

    expect((await api.request('GET', `/v1/domains/${stale.body.id}`, { key })).status).toBe(404);
    expect((await verify(key, stale.body.id)).status).toBe(404);
    expect((await api.request('GET', '/v1/domains', { key })).body.map((d: { name: string }) => d.name)).toEqual(['fresh.test']);
    const again = await api.request('POST', '/v1/mailboxes', { key, body: { address: 'sales@stale.test', password: 'a long password' } });
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('unknown_domain');

    // The next registration removes it for good, with its mailboxes; the name can be added again.
    const readded = await api.request('POST', '/v1/domains', { key, body: { name: 'stale.test' } });
    expect(readded.status).toBe(201);
    expect(await prisma.domain.count({ where: { id: stale.body.id } })).toBe(0);
    expect(await prisma.mailbox.count({ where: { id: box.body.id } })).toBe(0);
    expect(await prisma.domain.count({ where: { id: fresh.body.id } })).toBe(1);
  });

  it('never expires a domain once its ownership is proven', async () => {
    const key = await account();
    const created = await api.request('POST', '/v1/domains', { key, body: { name: 'kept.test' } });
    dns.add({ type: 'TXT', name: '_mailroom.kept.test', value: created.body.ownership.record.value });
    const owned = await verify(key, created.body.id);
    expect(owned.body.ownership.expires_at).toBeNull();
    // The record may go once proven: a later check that misses it does not take the name away.
    // (Last test of the file: it empties the DNS server.)
    dns.set([]);
    const later = await verify(key, created.body.id);
    expect(later.body.ownership.record.state).toBe('missing');
    expect(later.body.verification.ownership).toBe(true);
  });
});
