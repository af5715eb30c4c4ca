import { randomInt } from 'node:crypto';
import type { DnsClient, MxRecord } from '@mailroom/dns';

/** One host to try, with the addresses to connect to, in the order to try them. */
export interface MxHost {
  /** The MX name (or the domain itself for an implicit MX, or the relay host). */
  host: string;
  priority: number;
  addresses: string[];
  port: number;
}

/**
 * Where mail for a domain goes. A failure is `permanent` when DNS said so (the domain does not
 * exist, or publishes a null MX) and temporary when DNS could not answer.
 */
export type RouteResult =
  | { ok: true; hosts: MxHost[] }
  | { ok: false; permanent: boolean; code: number; enhanced: string; message: string };

export interface MxResolverOptions {
  port: number;
  /** `host:port` smarthost: every domain routes there. */
  relayHost?: string;
}

/**
 * RFC 5321 section 5.1 routing: MX records by preference (equal preferences shuffled so load
 * spreads), else the domain's own A/AAAA (the implicit MX), and RFC 7505's null MX as a
 * permanent refusal. Answers come from the DnsClient's TTL cache.
 */
export class MxResolver {
  constructor(
    private readonly dns: DnsClient,
    private readonly options: MxResolverOptions,
  ) {}

  async route(domain: string): Promise<RouteResult> {
    if (this.options.relayHost) return this.relay(this.options.relayHost);
    const mx = await this.dns.mx(domain);
    if (mx.status === 'error') return temporary(`DNS lookup of MX for ${domain} failed: ${mx.message}`);
    if (mx.status === 'nxdomain') return permanent(550, '5.1.2', `domain ${domain} does not exist (NXDOMAIN)`);
    if (mx.status === 'nodata' || mx.value.length === 0) {
      const implicit = await this.resolveHost({ exchange: domain, priority: 0 });
      if ('error' in implicit) return implicit.permanent ? permanent(550, '5.1.2', `domain ${domain} has no MX and no address records`) : temporary(implicit.error);
      return { ok: true, hosts: [implicit] };
    }
    // RFC 7505: a null MX is the domain's only MX record. A "." beside real ones is a mistake
    // (or an unparsable name); the real ones are used.
    const real = mx.value.filter((r) => r.exchange !== '.');
    if (!real.length) return permanent(556, '5.1.10', `domain ${domain} does not accept mail (null MX, RFC 7505)`);
    const ordered = shuffleEqualPreferences(real);
    const resolved = await Promise.all(ordered.map((record) => this.resolveHost(record)));
    const hosts = resolved.filter((h): h is MxHost => !('error' in h));
    if (hosts.length) return { ok: true, hosts };
    // Every MX name failed to resolve: permanent only when all of them do not exist.
    const allPermanent = resolved.every((h) => 'error' in h && h.permanent);
    const reason = resolved.map((h) => ('error' in h ? h.error : '')).join('; ');
    return allPermanent ? permanent(550, '5.1.2', `no MX host of ${domain} resolves: ${reason}`) : temporary(reason);
  }

  private async resolveHost(record: MxRecord): Promise<MxHost | { error: string; permanent: boolean }> {
    const answer = await this.dns.addresses(record.exchange);
    if (answer.status === 'ok' && answer.value.length) {
      return { host: record.exchange, priority: record.priority, addresses: answer.value, port: this.options.port };
    }
    if (answer.status === 'error') return { error: `address lookup of ${record.exchange} failed: ${answer.message}`, permanent: false };
    return { error: `${record.exchange} has no address records`, permanent: true };
  }

  private async relay(spec: string): Promise<RouteResult> {
    const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(spec)!;
    const host = match[1]!;
    const port = match[2] ? Number(match[2]) : this.options.port;
    const answer = await this.dns.addresses(host);
    if (answer.status !== 'ok') return temporary(`relay host ${host} does not resolve (${answer.status})`);
    return { ok: true, hosts: [{ host, priority: 0, addresses: answer.value, port }] };
  }
}

function shuffleEqualPreferences(records: MxRecord[]): MxRecord[] {
  const keyed = records.map((record) => ({ record, tie: randomInt(1 << 30) }));
  keyed.sort((a, b) => a.record.priority - b.record.priority || a.tie - b.tie);
  return keyed.map((k) => k.record);
}

const temporary = (message: string): RouteResult => ({ ok: false, permanent: false, code: 451, enhanced: '4.4.3', message });
const permanent = (code: number, enhanced: string, message: string): RouteResult => ({ ok: false, permanent: true, code, enhanced, message });
