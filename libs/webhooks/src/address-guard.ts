import { BlockList, isIP } from 'node:net';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { DomainError } from '@mailroom/common';
import type { DnsClient } from '@mailroom/dns';

/**
 * Addresses a webhook must not reach unless the operator allows it: this host, private
 * networks, link-local (cloud metadata at 169.254.169.254 and fd00:ec2::254), carrier-grade
 * NAT (Alibaba's metadata at 100.100.100.200), and addresses that are not unicast.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** Whether `ip` is a public unicast address (IPv4-mapped and NAT64 IPv6 judged by their IPv4). */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return !blocked.check(ip, 'ipv4');
  if (family !== 6) return false;
  const lower = ip.toLowerCase();
  const embedded = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1] ?? hexEmbeddedV4(lower);
  if (embedded) return isPublicAddress(embedded);
  return !blocked.check(ip, 'ipv6');
}

/** ::ffff:7f00:1 and 64:ff9b::7f00:1 carry 127.0.0.1 in hex. */
function hexEmbeddedV4(ip: string): string | null {
  const m = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
  if (!m) return null;
  const hi = parseInt(m[1]!, 16);
  const lo = parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

const refused = (message: string) => new DomainError('invalid', 'webhook_url_refused', message);

/**
 * The SSRF guard. A webhook URL's host is resolved (through DNS_SERVERS, like every lookup) and
 * refused when any of its addresses is not public, when the endpoint is created or changed and
 * again for every new connection (`lookup`, handed to the HTTP client, which connects to the
 * very addresses checked: no second resolution to rebind). WEBHOOK_ALLOW_PRIVATE turns it off.
 */
export class AddressGuard {
  constructor(
    private readonly dns: DnsClient,
    private readonly allowPrivate: boolean,
  ) {}

  /** The addresses to connect to; throws `webhook_url_refused` (or `unavailable` when DNS fails). */
  async resolve(host: string): Promise<string[]> {
    const name = host.replace(/^\[|\]$/g, '').toLowerCase();
    let addresses: string[];
    if (isIP(name)) addresses = [name];
    else if (name === 'localhost' || name.endsWith('.localhost')) addresses = ['127.0.0.1', '::1'];
    else {
      const answer = await this.dns.addresses(name);
      if (answer.status === 'error') throw new DomainError('unavailable', 'dns_lookup_failed', answer.message);
      if (answer.status !== 'ok') throw refused(`${name} does not resolve to an address`);
      addresses = answer.value;
    }
    if (!this.allowPrivate) {
      const bad = addresses.find((a) => !isPublicAddress(a));
      if (bad) throw refused(`${name} resolves to ${bad}, a loopback, private, link-local or reserved address; webhooks go to public addresses only (WEBHOOK_ALLOW_PRIVATE=true allows others)`);
    }
    return addresses;
  }

  /** Checks a URL as a user gives it: http(s), a host, and (unless allowed) public addresses only. */
  async checkUrl(url: string): Promise<void> {
    await this.resolve(parseWebhookUrl(url).hostname);
  }

  /** A `lookup` for net.connect/tls.connect: resolves through the guard. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    this.resolve(hostname).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => isIP(a) === options.family) : addresses;
        if (!wanted.length) return callback(Object.assign(new Error(`${hostname}: no address of the family asked for`), { code: 'ENOTFOUND' }), '', 0);
        if (options.all) callback(null, wanted.map((address) => ({ address, family: isIP(address) })));
        else callback(null, wanted[0]!, isIP(wanted[0]!));
      },
      (error: Error) => callback(Object.assign(error, { code: error instanceof DomainError && error.code === 'webhook_url_refused' ? 'EREFUSEDADDRESS' : 'ENOTFOUND' }), '', 0),
    );
  };
}

/** A webhook URL: http or https, a host, no fragment, at most 2,048 characters. */
export function parseWebhookUrl(value: string): URL {
  if (value.length > 2048) throw new DomainError('invalid', 'invalid_url', 'url: at most 2048 characters');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DomainError('invalid', 'invalid_url', `url: not a URL: ${value.slice(0, 200)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new DomainError('invalid', 'invalid_url', 'url: must be http or https');
  if (!url.hostname) throw new DomainError('invalid', 'invalid_url', 'url: needs a host');
  if (url.hash) throw new DomainError('invalid', 'invalid_url', 'url: must not have a #fragment');
  return url;
}
