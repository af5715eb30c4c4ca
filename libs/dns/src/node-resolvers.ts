import { isIP } from 'node:net';
import type { DnsAnswer, DnsClient } from './dns-client';

/**
 * Libraries that take a node-style resolver (mailauth for SPF, DKIM and DMARC; smtp-server for a
 * client's reverse name) ask through a DnsClient instead, so inbound mail is looked up with
 * delivery's resolver and its TTL cache: answers live for their TTL, "no such record" for the SOA's
 * negative TTL (RFC 2308). Answers come in node's form and refusals with node's codes, which
 * those libraries read: ENOTFOUND for a name that does not exist, ENODATA for one without such
 * records, ESERVFAIL for a lookup that failed, ENOTIMP for a type not asked here.
 */

/** What mailauth's `resolver` option takes: node's dns.resolve(name, type), answers and error codes alike. */
export type MailauthResolver = (name: string, type: string) => Promise<unknown>;

/** mailauth's `resolver`: SPF, DKIM keys, DMARC and ARC (a failure is a temperror to them). */
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

/** smtp-server's `resolver`: the client's reverse name (PTR), for its Received line. */
export interface ReverseResolver {
  reverse(ip: string, callback: (error: Error | null, hostnames?: string[]) => void): void;
}

export function reverseResolver(dns: DnsClient): ReverseResolver {
  return {
    reverse(ip, callback) {
      const name = reverseName(ip);
      if (!name) return callback(dnsError('EINVAL', `not an IP address: ${ip}`));
      dns.names(name, 'PTR').then(
        (result) => {
          try {
            callback(null, answer(result, name, 'PTR'));
          } catch (error) {
            callback(error as Error);
          }
        },
        (error: Error) => callback(error),
      );
    },
  };
}

/** `1.2.3.4` -> `4.3.2.1.in-addr.arpa`, IPv6 nibble by nibble under ip6.arpa (RFC 3596); '' for what is not an address. */
export function reverseName(ip: string): string {
  const address = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (isIP(address) === 4) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  if (isIP(address) !== 6) return '';
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const full = [...groups(head), ...Array<string>(address.includes('::') ? missing : 0).fill('0'), ...groups(tail)];
  return `${full.map((group) => group.padStart(4, '0')).join('').split('').reverse().join('.')}.ip6.arpa`;
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
