import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, type DNSResolver } from 'mailauth';
import { DnsClient, mailauthResolver, reverseName, reverseResolver } from '@mailroom/dns';
import { TestDnsServer } from '@mailroom/testing';

/**
 * Inbound authentication's DNS goes through the DnsClient (delivery's resolver and TTL cache),
 * against a real DNS server. It replaced a cache of its own that kept every answer 60 s and
 * "no such record" 15 s: answers now live for their TTL, negative ones for the SOA's (RFC 2308).
 * Failures are still not remembered for inbound authentication (errorCacheMs 0).
 */
describe('mailauthResolver', () => {
  let dns: TestDnsServer;
  beforeAll(async () => {
    dns = await TestDnsServer.start([
      { type: 'SOA', name: 'sender.test', minimum: 300 },
      { type: 'TXT', name: 'sender.test', value: ['v=spf1 ip4:192.0.2.0/24', ' -all'] },
      { type: 'A', name: 'sender.test', address: '192.0.2.10' },
      { type: 'MX', name: 'sender.test', exchange: 'MX.Sender.test', priority: 5 },
      { type: 'MX', name: 'nomail.test', exchange: '.', priority: 0 },
      { type: 'PTR', name: '10.2.0.192.in-addr.arpa', host: 'mx.sender.test' },
    ]);
  });
  afterAll(() => dns.close());

  const resolver = () => mailauthResolver(new DnsClient({ servers: [dns.address], timeoutMs: 300, tries: 1, errorCacheMs: 0 }));
  const codeOf = (promise: Promise<unknown>) => promise.then(() => 'answered', (error: { code?: string }) => error.code);

  it('answers as node does and asks once per name and type while the answer lives', async () => {
    const resolve = resolver();
    expect(await resolve('sender.test', 'TXT')).toEqual([['v=spf1 ip4:192.0.2.0/24', ' -all']]);
    expect(await resolve('sender.test', 'A')).toEqual(['192.0.2.10']);
    expect(await resolve('sender.test', 'MX')).toEqual([{ exchange: 'mx.sender.test', priority: 5 }]);
    expect(await resolve('nomail.test', 'MX')).toEqual([{ exchange: '', priority: 0 }]);
    const asked = dns.count('sender.test', 'TXT');
    await resolve('SENDER.test', 'TXT');
    expect(dns.count('sender.test', 'TXT')).toBe(asked);
  });

  it('refuses with node’s codes: no such name, no such record (remembered for the SOA’s time), failure (asked again)', async () => {
    const resolve = resolver();
    expect(await codeOf(resolve('missing.test', 'TXT'))).toBe('ENOTFOUND');
    expect(await codeOf(resolve('_dmarc.sender.test', 'TXT'))).toBe('ENOTFOUND');
    expect(await codeOf(resolve('sender.test', 'AAAA'))).toBe('ENODATA');
    const negative = dns.count('sender.test', 'AAAA');
    expect(await codeOf(resolve('sender.test', 'AAAA'))).toBe('ENODATA');
    expect(dns.count('sender.test', 'AAAA')).toBe(negative);
    expect(await codeOf(resolve('sender.test', 'SRV'))).toBe('ENOTIMP');
    dns.fail('broken.test', 'servfail');
    try {
      expect(await codeOf(resolve('broken.test', 'TXT'))).toBe('ESERVFAIL');
      const failed = dns.count('broken.test', 'TXT');
      await codeOf(resolve('broken.test', 'TXT'));
      expect(dns.count('broken.test', 'TXT')).toBe(failed + 1);
    } finally {
      dns.fail('broken.test', null);
    }
  });

  it('is what mailauth reads SPF with', async () => {
    const spfFor = async (ip: string) => {
      const result = await authenticate(Buffer.from('From: a@sender.test\r\nSubject: x\r\n\r\nbody\r\n'), {
        ip,
        helo: 'mx.sender.test',
        sender: 'a@sender.test',
        mta: 'mx.mailroom.test',
        resolver: resolver() as DNSResolver,
        disableBimi: true,
      });
      return result.spf && result.spf.status.result;
    };
    expect(await spfFor('192.0.2.10')).toBe('pass');
    expect(await spfFor('198.51.100.1')).toBe('fail');
  });
});

/** smtp-server's reverse lookup of a client (its Received line) goes through the DnsClient too. */
describe('reverseResolver', () => {
  let dns: TestDnsServer;
  beforeAll(async () => {
    dns = await TestDnsServer.start([{ type: 'PTR', name: '10.2.0.192.in-addr.arpa', host: 'mx.sender.test' }]);
  });
  afterAll(() => dns.close());

  const reverse = (resolve: ReturnType<typeof reverseResolver>, ip: string) =>
    new Promise<string>((done) => resolve.reverse(ip, (error, names) => done(error ? `${(error as { code?: string }).code}` : names!.join(','))));

  it('answers with the names, from the cache the second time, and with node’s codes otherwise', async () => {
    const resolve = reverseResolver(new DnsClient({ servers: [dns.address], timeoutMs: 300, tries: 1 }));
    expect(await reverse(resolve, '192.0.2.10')).toBe('mx.sender.test');
    expect(await reverse(resolve, '::ffff:192.0.2.10')).toBe('mx.sender.test');
    expect(dns.count('10.2.0.192.in-addr.arpa', 'PTR')).toBe(1);
    expect(await reverse(resolve, '192.0.2.11')).toBe('ENOTFOUND');
    expect(await reverse(resolve, 'not an address')).toBe('EINVAL');
  });

  it('writes reverse names as RFC 1035 and RFC 3596 do', () => {
    expect(reverseName('192.0.2.1')).toBe('1.2.0.192.in-addr.arpa');
    expect(reverseName('2001:db8::567:89ab')).toBe('b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
    // RFC 3596 section 2.5's own example.
    expect(reverseName('4321:0:1:2:3:4:567:89ab')).toBe('b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa');
    expect(reverseName('::1')).toBe(`1.${'0.'.repeat(31)}ip6.arpa`);
  });
});
