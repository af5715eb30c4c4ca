import type { DnsAnswer, DnsClient } from './dns-client';

/** What mailauth's `resolver` option takes: node's dns.resolve(name, type), answers and error codes alike. */
export type MailauthResolver = (name: string, type: string) => Promise<unknown>;

/**
 * mailauth's DNS (SPF, DKIM keys, DMARC, ARC) through a DnsClient, so inbound authentication
 * shares delivery's resolver and its TTL cache: answers live for their TTL, "no such record"
 * for the SOA's negative TTL (RFC 2308). Answers come in node's form and refusals with node's
 * codes, which mailauth reads: ENOTFOUND for a name that does not exist, ENODATA for one without
 * such records, ESERVFAIL for a lookup that failed (a temporary error to SPF and DMARC), ENOTIMP
 * for a type it does not ask about.
 */
export function mailauthResolver(dns: DnsClient): MailauthResolver {
  return async (name, type) => {
    switch (type.toUpperCase()) {
      case 'TXT':
        return answer(await dns.txt(name), name, type);
      case 'A':
        return answer(await dns.address(name, 'A'), name, type);
      case 'AAAA':
        return answer(await dns.address(name, 'AAAA'), name, type);
      case 'MX':
        // node gives a null MX (RFC 7505) an empty exchange.
        return answer(await dns.mx(name), name, type).map((mx) => ({ exchange: mx.exchange === '.' ? '' : mx.exchange, priority: mx.priority }));
      case 'PTR':
        return answer(await dns.names(name, 'PTR'), name, type);
      case 'CNAME':
        return answer(await dns.names(name, 'CNAME'), name, type);
      default:
        throw dnsError('ENOTIMP', `DNS ${type} lookups are not made here (${name})`);
    }
  };
}

function answer<T>(result: DnsAnswer<T>, name: string, type: string): T {
  switch (result.status) {
    case 'ok':
      return result.value;
    case 'nxdomain':
      throw dnsError('ENOTFOUND', `${name} does not exist (DNS ${type})`);
    case 'nodata':
      throw dnsError('ENODATA', `${name} has no ${type} records`);
    case 'error':
      throw dnsError('ESERVFAIL', result.message);
  }
}

function dnsError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}
