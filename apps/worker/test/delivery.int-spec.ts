import { Resolver } from 'node:dns/promises';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sql } from '@mailroom/db';
import { createSendingAccount, freePort, SmtpSink, TestDnsServer, type SendingAccount } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

/**
 * The whole outbound path over real sockets: API -> PostgreSQL -> BullMQ -> worker -> DNS (our
 * own server) -> SMTP sinks on loopback addresses sharing OUTBOUND_SMTP_PORT.
 */
describe('outbound delivery', () => {
  let dns: TestDnsServer;
  let api: TestApi;
  let sender: SendingAccount;
  let port: number;
  const sinks: Record<string, SmtpSink> = {};

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    port = await freePort();
    for (const [name, host] of Object.entries({ a: '127.0.0.2', b: '127.0.0.3', d2: '127.0.0.5', e: '127.0.0.6', f: '127.0.0.7', g: '127.0.0.8' })) {
      sinks[name] = await SmtpSink.start({ host, port, tls: name === 'a' });
    }
    dns.add({ type: 'MX', name: 'a.test', exchange: 'mx.a.test', priority: 10 });
    dns.add({ type: 'A', name: 'mx.a.test', address: '127.0.0.2' });
    // b.test: no MX at all, only an address: the implicit MX (RFC 5321 5.1).
    dns.add({ type: 'A', name: 'b.test', address: '127.0.0.3' });
    dns.add({ type: 'MX', name: 'c.test', exchange: '.', priority: 0 });
    // d.test: the preferred MX refuses connections (nothing listens on 127.0.0.4).
    dns.add({ type: 'MX', name: 'd.test', exchange: 'mx1.d.test', priority: 10 });
    dns.add({ type: 'MX', name: 'd.test', exchange: 'mx2.d.test', priority: 20 });
    dns.add({ type: 'A', name: 'mx1.d.test', address: '127.0.0.4' });
    dns.add({ type: 'A', name: 'mx2.d.test', address: '127.0.0.5' });
    for (const [domain, host] of [['e.test', '127.0.0.6'], ['f.test', '127.0.0.7'], ['g.test', '127.0.0.8']]) {
      dns.add({ type: 'MX', name: domain!, exchange: `mx.${domain}`, priority: 10 });
      dns.add({ type: 'A', name: `mx.${domain}`, address: host! });
    }
    api = await startTestApi(
      { DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(port), RETRY_SCHEDULE: '1', SWEEP_INTERVAL_SECONDS: '1' },
      { worker: true },
    );
    sender = await createSendingAccount(api, dns, 'sender.test');
  });

  afterAll(async () => {
    await api?.close();
    await Promise.all(Object.values(sinks).map((s) => s.close()));
    await dns?.close();
  });

  async function send(body: Record<string, unknown>): Promise<string> {
    const res = await api.request('POST', '/v1/messages', { key: sender.key, body: { from: 'App <app@sender.test>', subject: 'Hello', text: 'Hi there', ...body } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id as string;
  }

  /** Polls the message until no recipient is queued, sending or deferred (or `until` holds). */
  async function settled(id: string, until?: (m: any) => boolean, key = sender.key): Promise<any> {
    const done = until ?? ((m: any) => m.recipients.every((r: any) => !['queued', 'sending', 'deferred'].includes(r.status)));
    for (let i = 0; i < 150; i++) {
      const res = await api.request('GET', `/v1/messages/${id}`, { key });
      if (res.status === 200 && done(res.body)) return res.body;
      await new Promise((r) => setTimeout(r, 100));
    }
    const last = await api.request('GET', `/v1/messages/${id}`, { key });
    throw new Error(`message ${id} did not settle: ${JSON.stringify(last.body.recipients)}`);
  }

  const recipient = (m: any, email: string) => m.recipients.find((r: any) => r.email === email);

  it('delivers through the MX, over STARTTLS, with a VERP sender and the remote reply on the timeline', async () => {
    const id = await send({ to: 'alice@a.test' });
    const message = await settled(id);
    expect(recipient(message, 'alice@a.test')).toMatchObject({ status: 'delivered', last_code: 250, mx_host: 'mx.a.test' });
    const arrived = sinks.a!.messages.find((m) => m.to.includes('alice@a.test'))!;
    expect(arrived.secure).toBe(true);
    expect(arrived.from).toMatch(new RegExp(`^bnc-r[0-9a-f]{32}-[0-9a-f]{16}@${sender.returnPathDomain.replace(/\./g, '\\.')}$`));
    expect(arrived.raw.toString()).toContain('Subject: Hello');
    const types = message.events.map((e: any) => e.type);
    expect(types).toEqual(['queued', 'sending', 'delivered']);
    expect(message.events[2].detail).toContain('2.0.0 Ok: queued as');
  });

  it('signs with RSA and Ed25519 signatures that verify against the TXT records the domain endpoint publishes', async () => {
    const id = await send({ to: 'dkim@a.test', html: '<p>Signed</p>' });
    await settled(id);
    const arrived = sinks.a!.messages.find((m) => m.to.includes('dkim@a.test'))!;
    const resolver = new Resolver();
    resolver.setServers([dns.address]);
    const result = await dkimVerify(arrived.raw, {
      resolver: async (name: string, type: string) => (type === 'TXT' ? resolver.resolveTxt(name) : []),
    } as Parameters<typeof dkimVerify>[1]);
    const results = result.results as Array<{ status: { result: string }; signingDomain: string; algo: string; selector: string }>;
    expect(results.map((r) => [r.signingDomain, r.algo, r.status.result]).sort()).toEqual([
      ['sender.test', 'ed25519-sha256', 'pass'],
      ['sender.test', 'rsa-sha256', 'pass'],
    ]);
    const published = sender.records.filter((r) => r.purpose === 'dkim').map((r) => r.name.split('._domainkey.')[0]).sort();
    expect(results.map((r) => r.selector).sort()).toEqual(published);
  });

  it('delivers to an internationalized address with SMTPUTF8', async () => {
    const id = await send({ to: 'josé@a.test', subject: 'Olá' });
    expect(recipient(await settled(id), 'josé@a.test').status).toBe('delivered');
    expect(sinks.a!.recipients()).toContain('josé@a.test');
  });

  it('falls back to the A record when the domain has no MX', async () => {
    const id = await send({ to: 'bob@b.test' });
    expect(recipient(await settled(id), 'bob@b.test')).toMatchObject({ status: 'delivered', mx_host: 'b.test' });
    expect(sinks.b!.recipients()).toContain('bob@b.test');
  });

  it('bounces a domain with a null MX without connecting anywhere', async () => {
    const id = await send({ to: 'nobody@c.test' });
    const r = recipient(await settled(id), 'nobody@c.test');
    expect(r).toMatchObject({ status: 'bounced', bounce_type: 'hard', last_code: 556, last_enhanced_code: '5.1.10' });
  });

  it('moves on to the next MX when the first refuses connections', async () => {
    const id = await send({ to: 'carol@d.test' });
    expect(recipient(await settled(id), 'carol@d.test')).toMatchObject({ status: 'delivered', mx_host: 'mx2.d.test' });
    expect(sinks.d2!.recipients()).toContain('carol@d.test');
  });

  it('retries a 4xx and records the later success', async () => {
    let refusals = 0;
    sinks.e!.behaviour = { rcpt: (address) => (address === 'dave@e.test' && refusals++ === 0 ? { code: 451, message: '4.3.0 Temporary local problem, please try again' } : undefined) };
    const id = await send({ to: 'dave@e.test' });
    const message = await settled(id);
    expect(recipient(message, 'dave@e.test')).toMatchObject({ status: 'delivered', attempts: 2 });
    const timeline = message.events.map((e: any) => e.type);
    expect(timeline).toEqual(['queued', 'sending', 'deferred', 'sending', 'delivered']);
    expect(message.events[2].detail).toContain('Temporary local problem');
  });

  it('bounces a 5xx, suppresses the address, and records later sends to it as suppressed without trying', async () => {
    sinks.f!.behaviour = { rcpt: (address) => (address === 'gone@f.test' ? { code: 550, message: '5.1.1 No such user here' } : undefined) };
    const id = await send({ to: 'gone@f.test' });
    expect(recipient(await settled(id), 'gone@f.test')).toMatchObject({ status: 'bounced', bounce_type: 'hard', last_enhanced_code: '5.1.1' });
    const list = await api.request('GET', '/v1/suppressions', { key: sender.key });
    expect(list.body.data.map((s: any) => s.email)).toContain('gone@f.test');

    const before = sinks.f!.connections.size;
    const again = await send({ to: 'gone@f.test' });
    const second = await settled(again);
    expect(recipient(second, 'gone@f.test').status).toBe('suppressed');
    expect(second.events.filter((e: any) => e.recipient === 'gone@f.test').map((e: any) => e.type)).toEqual(['suppressed']);
    await new Promise((r) => setTimeout(r, 300));
    expect(sinks.f!.connections.size).toBe(before);
  });

  it('waits as long as the server asks before the next attempt', async () => {
    sinks.g!.behaviour = { rcpt: (address) => (address === 'patient@g.test' ? { code: 450, message: '4.7.0 Rate limited, please try again in 90 seconds' } : undefined) };
    const id = await send({ to: 'patient@g.test' });
    const r = recipient(await settled(id, (m) => recipient(m, 'patient@g.test').status === 'deferred'), 'patient@g.test');
    const wait = (new Date(r.next_attempt_at).getTime() - Date.now()) / 1000;
    expect(wait).toBeGreaterThan(80);
    expect(wait).toBeLessThanOrEqual(90);
  });

  it('records a policy rejection as blocked, without suppressing', async () => {
    sinks.g!.behaviour = { rcpt: () => ({ code: 550, message: '5.7.1 Service unavailable; client host blocked using Spamhaus' }) };
    const id = await send({ to: 'frank@g.test' });
    expect(recipient(await settled(id), 'frank@g.test')).toMatchObject({ status: 'blocked' });
    const list = await api.request('GET', '/v1/suppressions', { key: sender.key });
    expect(list.body.data.map((s: any) => s.email)).not.toContain('frank@g.test');
  });

  it('gives each recipient of one message its own outcome when their domains answer differently', async () => {
    sinks.e!.behaviour = { rcpt: (address) => (address === 'later@e.test' ? { code: 452, message: '4.2.2 Mailbox temporarily full' } : undefined) };
    sinks.f!.behaviour = { rcpt: (address) => (address === 'missing@f.test' ? { code: 550, message: '5.1.1 User unknown' } : undefined) };
    const id = await send({ to: ['one@a.test', 'two@a.test', 'missing@f.test'], cc: 'later@e.test' });
    const message = await settled(id, (m) => ['one@a.test', 'two@a.test', 'missing@f.test'].every((e) => ['delivered', 'bounced'].includes(recipient(m, e).status)) && recipient(m, 'later@e.test').status === 'deferred');
    expect(recipient(message, 'one@a.test').status).toBe('delivered');
    expect(recipient(message, 'two@a.test').status).toBe('delivered');
    expect(recipient(message, 'missing@f.test')).toMatchObject({ status: 'bounced', bounce_type: 'hard' });
    expect(recipient(message, 'later@e.test').last_enhanced_code).toBe('4.2.2');
    // One transaction for both a.test recipients.
    const both = sinks.a!.messages.filter((m) => m.to.includes('one@a.test'));
    expect(both).toHaveLength(1);
    expect(both[0]!.to.sort()).toEqual(['one@a.test', 'two@a.test']);
    expect(both[0]!.from).toMatch(/^bnc-d/);
    sinks.e!.behaviour = {};
    expect(recipient(await settled(id), 'later@e.test').status).toBe('delivered');
  });

  it('defers, rather than leaving in sending or sending unsigned, when the domain has no DKIM key', async () => {
    const keyless = await createSendingAccount(api, dns, 'keyless.test');
    await api.app.get(Sql).query('UPDATE dkim_keys SET active = false WHERE domain_id = $1', [keyless.domainId]);
    const res = await api.request('POST', '/v1/messages', { key: keyless.key, body: { from: 'a@keyless.test', to: 'someone@a.test', subject: 's', text: 't' } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const message = await settled(res.body.id, (m) => recipient(m, 'someone@a.test').status === 'deferred', keyless.key);
    expect(recipient(message, 'someone@a.test').last_response).toContain('keyless.test has no active DKIM key');
    expect(sinks.a!.recipients()).not.toContain('someone@a.test');
  });

  it('reuses one connection for many messages to the same MX', async () => {
    // One after another, so each finds the previous one's connection idle in the pool.
    const before = sinks.b!.connections.size;
    for (let i = 0; i < 5; i++) await settled(await send({ to: `reuse${i}@b.test` }));
    expect(sinks.b!.recipients()).toEqual(expect.arrayContaining(['reuse0@b.test', 'reuse4@b.test']));
    expect(sinks.b!.connections.size - before).toBeLessThanOrEqual(1);
  });
});
