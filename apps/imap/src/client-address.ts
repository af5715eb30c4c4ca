import { isIP } from 'node:net';

/** An IPv4 client seen through a dual-stack socket (::ffff:a.b.c.d) as plain a.b.c.d. */
export function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}
