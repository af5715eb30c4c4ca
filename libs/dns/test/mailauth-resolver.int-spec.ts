import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, type DNSResolver } from 'mailauth';
import { DnsClient, mailauthResolver } from '@mailroom/dns';
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
    const result = await authenticate(Buffer.from('From: a@sender.test\r\nSubject: x\r\n\r\nbody\r\n'), {
      ip: '192.0.2.10',
      helo: 'mx.sender.test',
      sender: 'a@sender.test',
      mta: 'mx.mailroom.test',
      resolver: resolver() as DNSResolver,
      disableBimi: true,
    });
    expect(result.spf && result.spf.status.result).toBe('pass');
    const elsewhere = await authenticate(Buffer.from('From: a@sender.test\r\n\r\nbody\r\n'), {
      ip: '198.51.100.1',
      helo: 'mx.other.test',
      sender: 'a@sender.test',
      mta: 'mx.mailroom.test',
      resolver: resolver() as DNSResolver,
      disableBimi: true,
    });
    expect(elsewhere.spf && elsewhere.spf.status.result).toBe('fail');
  });
});
