import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secrets } from '@mailroom/crypto';
import { PrismaService } from '@mailroom/db';
import { publicKeyOf } from '@mailroom/dkim';
import { TestDnsServer } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

describe('accounts, keys, domains and credentials over the REST API', () => {
  let api: TestApi;
  let dns: TestDnsServer;
  let accountA: string;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    api = await startTestApi({ DNS_SERVERS: dns.address });
    const a = await api.request('POST', '/v1/accounts', { key: api.adminKey, body: { name: 'Account A' } });
    const b = await api.request('POST', '/v1/accounts', { key: api.adminKey, body: { name: 'Account B' } });
    expect(a.status).toBe(201);
    accountA = a.body.id;
    keyA = (await api.request('POST', `/v1/accounts/${a.body.id}/api-keys`, { key: api.adminKey, body: {} })).body.key;
    keyB = (await api.request('POST', `/v1/accounts/${b.body.id}/api-keys`, { key: api.adminKey, body: {} })).body.key;
  });

  afterAll(async () => {
    await api?.close();
    await dns?.close();
  });

  it('answers /health with 200 when PostgreSQL and Redis are up', async () => {
    const health = await api.request('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', postgres: 'up', redis: 'up', postgres_pool: { size: 20, open: expect.any(Number), in_use: expect.any(Number), waiting: 0, exhausted: false } });
    expect(health.headers.get('x-request-id')).toBeTruthy();
  });

  it('serves Prometheus metrics and the OpenAPI document', async () => {
    await api.request('GET', '/v1/domains', { key: keyA });
    const metrics = await api.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('mailroom_http_requests_total{method="GET",route="/v1/domains",status="200"}');
    expect(metrics.body).toContain('mailroom_process_resident_memory_bytes');
    const docs = await api.request('GET', '/docs/openapi.json');
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/v1/accounts', '/v1/domains', '/v1/domains/{id}/verify', '/v1/smtp-credentials', '/v1/mailboxes']));
    expect(docs.body.paths['/v1/domains'].post.requestBody.content['application/json'].schema.properties.name.type).toBe('string');
  });

  it('refuses requests without a key, with a wrong key, and account keys on admin endpoints', async () => {
    expect((await api.request('GET', '/v1/domains')).body).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
    expect((await api.request('GET', '/v1/domains')).status).toBe(401);
    expect((await api.request('GET', '/v1/domains', { key: 'mr_live_nope' })).status).toBe(401);
    const forbidden = await api.request('POST', '/v1/accounts', { key: keyA, body: { name: 'x' } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('admin_required');
  });

  it('shows a key once and stores only its hash; a revoked key stops working', async () => {
    const created = await api.request('POST', '/v1/api-keys', { key: keyA, body: { name: 'ci' } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^mr_live_[A-Za-z0-9_-]{43}$/);
    const prisma = api.app.get(PrismaService);
    const row = await prisma.apiKey.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.keyHash).not.toContain(created.body.key);
    expect(JSON.stringify(row)).not.toContain(created.body.key);
    const listed = await api.request('GET', '/v1/api-keys', { key: keyA });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    expect((await api.request('DELETE', `/v1/api-keys/${created.body.id}`, { key: keyA })).status).toBe(204);
    // A freshly created key was never cached, so revocation is immediate for it.
    expect((await api.request('GET', '/v1/domains', { key: created.body.key })).status).toBe(401);
  });

  it('creates a domain whose DNS records carry the public half of the keys it signs with', async () => {
    const res = await api.request('POST', '/v1/domains', { key: keyA, body: { name: 'Mail.Example.COM' } });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('mail.example.com');
    expect(res.body.return_path_domain).toBe('mr-bounces.mail.example.com');
    const records = res.body.dns as Array<{ purpose: string; type: string; name: string; value: string }>;
    expect(records.map((r) => `${r.purpose} ${r.type} ${r.name}`)).toEqual([
      expect.stringMatching(/^dkim TXT mr\d{6}r\._domainkey\.mail\.example\.com$/),
      expect.stringMatching(/^dkim TXT mr\d{6}e\._domainkey\.mail\.example\.com$/),
      'spf TXT mr-bounces.mail.example.com',
      'return_path MX mr-bounces.mail.example.com',
      'dmarc TXT _dmarc.mail.example.com',
    ]);

    // The private keys are encrypted at rest, and decrypt to the keys the records publish.
    const prisma = api.app.get(PrismaService);
    const keys = await prisma.dkimKey.findMany({ where: { domainId: res.body.id } });
    expect(keys).toHaveLength(2);
    const box = api.app.get(Secrets).box('dkim-keys');
    for (const key of keys) {
      expect(key.privateKeyEncrypted).not.toContain('PRIVATE KEY');
      const pem = box.open(key.privateKeyEncrypted);
      const record = records.find((r) => r.name.startsWith(`${key.selector}.`))!;
      expect(record.value).toBe(`v=DKIM1; k=${key.algorithm}; p=${publicKeyOf(pem, key.algorithm)}`);
      if (key.algorithm === 'rsa') expect(createPublicKey(pem).asymmetricKeyDetails?.modulusLength).toBe(2048);
      else expect(createPublicKey(pem).asymmetricKeyType).toBe('ed25519');
    }
  });

  it('refuses duplicate and malformed domains with clear errors', async () => {
    // A proves it owns the name: a name only added (not proven) blocks nobody.
    const owned = await api.request('POST', '/v1/domains', { key: keyA, body: { name: 'dupe.example' } });
    dns.add({ type: 'TXT', name: owned.body.ownership.record.name, value: owned.body.ownership.record.value });
    await api.request('POST', `/v1/domains/${owned.body.id}/verify`, { key: keyA });
    const reserved = await api.request('POST', '/v1/domains', { key: keyB, body: { name: 'mr-bounces.victim.example' } });
    expect(reserved.status).toBe(422);
    expect(reserved.body.error.code).toBe('reserved_name');
    const dupe = await api.request('POST', '/v1/domains', { key: keyB, body: { name: 'DUPE.example.' } });
    expect(dupe.status).toBe(409);
    expect(dupe.body.error.code).toBe('domain_exists');
    const bad = await api.request('POST', '/v1/domains', { key: keyA, body: { name: 'not a domain' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('invalid_domain');
    const missing = await api.request('POST', '/v1/domains', { key: keyA, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/^name: Required/);
  });

  it('verifies each DNS record against what DNS answers', async () => {
    const created = await api.request('POST', '/v1/domains', { key: keyA, body: { name: 'verify.example' } });
    const records = created.body.dns as Array<{ purpose: string; type: string; name: string; value: string }>;
    const before = await api.request('POST', `/v1/domains/${created.body.id}/verify`, { key: keyA });
    expect(before.status).toBe(200);
    expect(before.body.verified).toBe(false);
    expect(before.body.records.map((r: { state: string }) => r.state)).toEqual(['missing', 'missing', 'missing', 'missing', 'missing']);

    for (const r of records) {
      if (r.type === 'MX') dns.add({ type: 'MX', name: r.name, exchange: r.value, priority: 10 });
      else dns.add({ type: 'TXT', name: r.name, value: r.value });
    }
    const after = await api.request('POST', `/v1/domains/${created.body.id}/verify`, { key: keyA });
    expect(after.body.records.map((r: { state: string }) => r.state)).toEqual(['verified', 'verified', 'verified', 'verified', 'verified']);
    expect(after.body.verified).toBe(true);
    expect(after.body.verification).toMatchObject({ dkim: true, spf: true, dmarc: true, return_path: true });

    // A DKIM record with some other key is a mismatch, not a pass.
    dns.set(records.filter((r) => r.purpose !== 'dkim').map((r) => (r.type === 'MX' ? { type: 'MX' as const, name: r.name, exchange: r.value, priority: 10 } : { type: 'TXT' as const, name: r.name, value: r.value })));
    dns.add({ type: 'TXT', name: records[0].name, value: 'v=DKIM1; k=rsa; p=AAAA' });
    const mismatch = await api.request('POST', `/v1/domains/${created.body.id}/verify`, { key: keyA });
    expect(mismatch.body.records[0].state).toBe('mismatch');
    expect(mismatch.body.verified).toBe(false);
  });

  it('answers 503 and changes nothing when DNS fails during verification, so a verified domain stays verified', async () => {
    const created = await api.request('POST', '/v1/domains', { key: keyA, body: { name: 'flaky.example' } });
    const records = created.body.dns as Array<{ purpose: string; type: string; name: string; value: string }>;
    for (const r of records) {
      if (r.type === 'MX') dns.add({ type: 'MX', name: r.name, exchange: r.value, priority: 10 });
      else dns.add({ type: 'TXT', name: r.name, value: r.value });
    }
    expect((await api.request('POST', `/v1/domains/${created.body.id}/verify`, { key: keyA })).body.verified).toBe(true);

    dns.fail(`_dmarc.flaky.example`, 'servfail');
    try {
      const failed = await api.request('POST', `/v1/domains/${created.body.id}/verify`, { key: keyA });
      expect(failed.status).toBe(503);
      expect(failed.body.error).toMatchObject({ code: 'dns_lookup_failed' });
      expect(failed.body.error.message).toContain('_dmarc.flaky.example');
    } finally {
      dns.fail(`_dmarc.flaky.example`, null);
    }
    const domain = await api.request('GET', `/v1/domains/${created.body.id}`, { key: keyA });
    expect(domain.body.verified).toBe(true);
    expect(domain.body.verification).toMatchObject({ dkim: true, spf: true, dmarc: true, return_path: true });
  });

  it('creates SMTP credentials (password shown once, hashed with scrypt) and mailboxes on own domains only', async () => {
    const cred = await api.request('POST', '/v1/smtp-credentials', { key: keyA, body: {} });
    expect(cred.status).toBe(201);
    expect(cred.body.username).toMatch(/^mr-[0-9a-f]{12}$/);
    expect(cred.body.password.length).toBeGreaterThanOrEqual(24);
    const prisma = api.app.get(PrismaService);
    const row = await prisma.smtpCredential.findUniqueOrThrow({ where: { username: cred.body.username } });
    expect(row.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect((await api.request('GET', '/v1/smtp-credentials', { key: keyA })).body[0]).not.toHaveProperty('password');

    await api.request('POST', '/v1/domains', { key: keyA, body: { name: 'boxes.example' } });
    const box = await api.request('POST', '/v1/mailboxes', { key: keyA, body: { address: 'Support@boxes.example', password: 'correct horse battery' } });
    expect(box.status).toBe(201);
    expect(box.body.address).toBe('support@boxes.example');
    expect(box.body.folders.sort()).toEqual(['Bounces', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
    expect(box.body).not.toHaveProperty('password');
    const foreign = await api.request('POST', '/v1/mailboxes', { key: keyB, body: { address: 'evil@boxes.example', password: 'correct horse battery' } });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.code).toBe('unknown_domain');
    const weak = await api.request('POST', '/v1/mailboxes', { key: keyA, body: { address: 'x@boxes.example', password: 'short' } });
    expect(weak.status).toBe(422);
    expect(weak.body.error.code).toBe('weak_password');
  });

  it('routes a domain’s catch-all and bounce reports to its own mailboxes', async () => {
    const domain = await api.request('POST', '/v1/domains', { key: keyA, body: { name: 'routed.example' } });
    const box = await api.request('POST', '/v1/mailboxes', { key: keyA, body: { address: 'all@routed.example', password: 'a long password' } });
    const set = await api.request('PATCH', `/v1/domains/${domain.body.id}`, { key: keyA, body: { catch_all_mailbox_id: box.body.id, bounce_mailbox_id: box.body.id } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ catch_all_mailbox_id: box.body.id, bounce_mailbox_id: box.body.id });
    const cleared = await api.request('PATCH', `/v1/domains/${domain.body.id}`, { key: keyA, body: { catch_all_mailbox_id: null } });
    expect(cleared.body).toMatchObject({ catch_all_mailbox_id: null, bounce_mailbox_id: box.body.id });
  });

  it("never lets account B read or change account A's objects", async () => {
    const domain = await api.request('POST', '/v1/domains', { key: keyA, body: { name: 'private-a.example' } });
    const mailbox = await api.request('POST', '/v1/mailboxes', { key: keyA, body: { address: 'ceo@private-a.example', password: 'a long password' } });
    const cred = await api.request('POST', '/v1/smtp-credentials', { key: keyA, body: {} });
    const keys = await api.request('GET', '/v1/api-keys', { key: keyA });

    expect((await api.request('GET', `/v1/domains/${domain.body.id}`, { key: keyB })).status).toBe(404);
    expect((await api.request('POST', `/v1/domains/${domain.body.id}/verify`, { key: keyB })).status).toBe(404);
    expect((await api.request('GET', `/v1/mailboxes/${mailbox.body.id}`, { key: keyB })).status).toBe(404);
    expect((await api.request('DELETE', `/v1/mailboxes/${mailbox.body.id}`, { key: keyB })).status).toBe(404);
    expect((await api.request('DELETE', `/v1/smtp-credentials/${cred.body.id}`, { key: keyB })).status).toBe(404);
    expect((await api.request('DELETE', `/v1/api-keys/${keys.body[0].id}`, { key: keyB })).status).toBe(404);
    expect((await api.request('GET', '/v1/domains', { key: keyB })).body.map((d: { name: string }) => d.name)).not.toContain('private-a.example');
    expect((await api.request('GET', '/v1/mailboxes', { key: keyB })).body).toEqual([]);
    expect((await api.request('GET', '/v1/smtp-credentials', { key: keyB })).body).toEqual([]);
    expect((await api.request('PATCH', `/v1/domains/${domain.body.id}`, { key: keyB, body: { catch_all_mailbox_id: null } })).status).toBe(404);
    // B's own domain cannot route to A's mailbox.
    const bDomain = await api.request('POST', '/v1/domains', { key: keyB, body: { name: 'private-b.example' } });
    const stolen = await api.request('PATCH', `/v1/domains/${bDomain.body.id}`, { key: keyB, body: { catch_all_mailbox_id: mailbox.body.id } });
    expect(stolen.status).toBe(422);
    expect(stolen.body.error.code).toBe('invalid_mailbox');
    // Account keys cannot borrow another account with the admin header.
    const borrowed = await api.request('GET', '/v1/domains', { key: keyB, headers: { 'x-account-id': accountA } });
    expect(borrowed.body.map((d: { name: string }) => d.name)).not.toContain('private-a.example');

    // Everything is still there for A.
    expect((await api.request('GET', `/v1/mailboxes/${mailbox.body.id}`, { key: keyA })).status).toBe(200);
    expect((await api.request('GET', `/v1/domains/${domain.body.id}`, { key: keyA })).status).toBe(200);
  });

  it('lets an admin key act on an account named by X-Account-Id', async () => {
    const list = await api.request('GET', '/v1/domains', { key: api.adminKey, headers: { 'x-account-id': accountA } });
    expect(list.status).toBe(200);
    expect(list.body.map((d: { name: string }) => d.name)).toContain('private-a.example');
    const none = await api.request('GET', '/v1/domains', { key: api.adminKey });
    expect(none.status).toBe(422);
    expect(none.body.error.code).toBe('account_required');
    const unknown = await api.request('GET', '/v1/domains', { key: api.adminKey, headers: { 'x-account-id': '00000000-0000-4000-8000-000000000000' } });
    expect(unknown.status).toBe(404);
  });
});
