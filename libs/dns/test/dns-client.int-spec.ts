import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsClient } from '@mailroom/dns';
import { TestDnsServer } from '@mailroom/testing';

/** The stub resolver against a real DNS server on a custom loopback port (DNS_SERVERS=ip:port). */
describe('DnsClient', () => {
  let dns: TestDnsServer;
  beforeAll(async () => {
    dns = await TestDnsServer.start([
      { type: 'A', name: 'host.test', address: '127.0.0.31', ttl: 120 },
      { type: 'MX', name: 'big.test', exchange: 'mx.big.test', priority: 10 },
    ]);
  });
  afterAll(() => dns.close());

  const client = () => new DnsClient({ servers: [dns.address], timeoutMs: 300, tries: 1, errorCacheMs: 1000 });

  it('answers with the TTL and asks once while the answer lives', async () => {
    const dnsClient = client();
    expect(await dnsClient.addresses('host.test')).toMatchObject({ status: 'ok', value: ['127.0.0.31'] });
    const before = dns.count('host.test', 'A');
    await dnsClient.addresses('HOST.test.');
    expect(dns.count('host.test', 'A')).toBe(before);
    expect(await dnsClient.addresses('none.test')).toEqual({ status: 'nxdomain' });
  });

  it('asks again over TCP when the UDP answer is truncated', async () => {
    dns.truncate = true;
    try {
      expect(await client().mx('big.test')).toMatchObject({ status: 'ok', value: [{ exchange: 'mx.big.test', priority: 10 }] });
      expect(dns.queries.some((q) => q.name === 'big.test' && q.transport === 'tcp')).toBe(true);
    } finally {
      dns.truncate = false;
    }
  });

  it('reports SERVFAIL and silence as temporary errors, and remembers them briefly', async () => {
    dns.fail('broken.test', 'servfail');
    dns.fail('silent.test', 'drop');
    try {
      const dnsClient = client();
      expect(await dnsClient.mx('broken.test')).toEqual({ status: 'error', message: `DNS MX lookup of broken.test failed: ${dns.address}: SERVFAIL` });
      const silent = await dnsClient.mx('silent.test');
      expect(silent).toMatchObject({ status: 'error' });
      expect(silent.status === 'error' && silent.message).toContain('within 300 ms');
      const asked = dns.count('broken.test', 'MX');
      await dnsClient.mx('broken.test');
      expect(dns.count('broken.test', 'MX')).toBe(asked);
    } finally {
      dns.fail('broken.test', null);
      dns.fail('silent.test', null);
    }
  });
});
