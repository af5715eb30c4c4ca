import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MxResolver } from '@mailroom/delivery';
import { DnsClient } from '@mailroom/dns';
import { TestDnsServer } from '@mailroom/testing';

/** Routing per RFC 5321 5.1 against a real DNS server on loopback. */
describe('MxResolver and DnsClient', () => {
  let dns: TestDnsServer;
  beforeAll(async () => {
    dns = await TestDnsServer.start([
      { type: 'MX', name: 'multi.test', exchange: 'backup.multi.test', priority: 20 },
      { type: 'MX', name: 'multi.test', exchange: 'primary.multi.test', priority: 10 },
      { type: 'A', name: 'primary.multi.test', address: '127.0.0.21', ttl: 300 },
      { type: 'AAAA', name: 'primary.multi.test', address: '::1' },
      { type: 'A', name: 'backup.multi.test', address: '127.0.0.22' },
      { type: 'A', name: 'implicit.test', address: '127.0.0.23' },
      { type: 'MX', name: 'nullmx.test', exchange: '.', priority: 0 },
      { type: 'MX', name: 'dangling.test', exchange: 'gone.dangling.test', priority: 10 },
      { type: 'SOA', name: 'dangling.test', minimum: 60 },
      { type: 'TXT', name: 'noaddress.test', value: 'only text' },
      { type: 'MX', name: 'mixed.test', exchange: '.', priority: 0 },
      { type: 'MX', name: 'mixed.test', exchange: 'primary.multi.test', priority: 10 },
    ]);
  });
  afterAll(() => dns.close());

  const resolver = (options: { relayHost?: string } = {}) => new MxResolver(new DnsClient({ servers: [dns.address], timeoutMs: 300, tries: 1 }), { port: 25, ...options });

  it('orders MX hosts by preference, IPv4 addresses first', async () => {
    const route = await resolver().route('multi.test');
    expect(route).toEqual({
      ok: true,
      hosts: [
        { host: 'primary.multi.test', priority: 10, addresses: ['127.0.0.21', '::1'], port: 25 },
        { host: 'backup.multi.test', priority: 20, addresses: ['127.0.0.22'], port: 25 },
      ],
    });
  });

  it('falls back to the domain’s own address when it has no MX, and refuses a null MX permanently', async () => {
    expect(await resolver().route('implicit.test')).toEqual({ ok: true, hosts: [{ host: 'implicit.test', priority: 0, addresses: ['127.0.0.23'], port: 25 }] });
    expect(await resolver().route('nullmx.test')).toMatchObject({ ok: false, permanent: true, code: 556, enhanced: '5.1.10' });
    expect(await resolver().route('nowhere.test')).toMatchObject({ ok: false, permanent: true, enhanced: '5.1.2' });
    expect(await resolver().route('noaddress.test')).toMatchObject({ ok: false, permanent: true });
    expect(await resolver().route('dangling.test')).toMatchObject({ ok: false, permanent: true, message: expect.stringContaining('gone.dangling.test') });
  });

  it('ignores a "." MX beside real ones (only a lone null MX refuses mail)', async () => {
    expect(await resolver().route('mixed.test')).toMatchObject({ ok: true, hosts: [{ host: 'primary.multi.test' }] });
  });

  it('treats a failing DNS server as temporary', async () => {
    dns.fail('broken.test', 'servfail');
    expect(await resolver().route('broken.test')).toMatchObject({ ok: false, permanent: false, code: 451, enhanced: '4.4.3' });
    dns.fail('broken.test', null);
  });

  it('caches answers for their TTL, and concurrent lookups share one query', async () => {
    const r = resolver();
    const before = dns.count('multi.test', 'MX');
    await Promise.all([r.route('multi.test'), r.route('multi.test'), r.route('multi.test')]);
    await r.route('multi.test');
    expect(dns.count('multi.test', 'MX') - before).toBe(1);
  });

  it('sends everything to RELAY_HOST when set', async () => {
    expect(await resolver({ relayHost: '127.0.0.30:2525' }).route('multi.test')).toEqual({ ok: true, hosts: [{ host: '127.0.0.30', priority: 0, addresses: ['127.0.0.30'], port: 2525 }] });
  });
});
