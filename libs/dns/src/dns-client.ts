import { getServers } from 'node:dns';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type * as packet from 'dns-packet';
import { parseDnsServer, queryDns, RCODE, rcodeOf, type DnsServerAddress } from './dns-transport';

/** 'error' is SERVFAIL, REFUSED, a timeout or a network failure: temporary, worth retrying later. */
export type DnsAnswer<T> =
  | { status: 'ok'; value: T; ttl: number }
  | { status: 'nxdomain' }
  | { status: 'nodata' }
  | { status: 'error'; message: string };

export interface MxRecord {
  /** Lower-case host name without the trailing dot; "." for a null MX (RFC 7505). */
  exchange: string;
  priority: number;
}

export interface DnsClientOptions {
  /** "ip" or "ip:port"; the system's resolvers when empty. */
  servers: string[];
  /** How long one server gets to answer one query. */
  timeoutMs?: number;
  maxCacheEntries?: number;
  /** Rounds over all servers before a lookup counts as failed. */
  tries?: number;
  /** Negative answers without an SOA to take the TTL from are cached this long. */
  negativeTtlSeconds?: number;
  /**
   * Failures are remembered this long so that a domain whose DNS is down does not cost every
   * one of its queued messages a full timeout (RFC 2308 section 7 allows up to 5 minutes).
   */
  errorCacheMs?: number;
}

/** The record types Mailroom asks about: delivery's MX and addresses, and what SPF, DKIM and DMARC read. */
export type RecordType = 'MX' | 'A' | 'AAAA' | 'TXT' | 'PTR' | 'CNAME';

const MIN_TTL = 5;
const MAX_TTL = 3600;

interface CacheEntry {
  expires: number;
  answer: DnsAnswer<unknown>;
}

/**
 * A stub resolver with its own cache, because node's resolver neither caches nor reports the
 * TTL of MX records. Delivery's MX and address lookups, inbound authentication (through
 * `mailauthResolver`) and the webhook address guard ask through it. Answers live for their TTL clamped to 5 s .. 1 h; negative answers for the
 * SOA minimum (RFC 2308); concurrent lookups of the same name share one query, so a campaign
 * that starts 1000 deliveries to one domain asks DNS once.
 */
export class DnsClient {
  private readonly servers: DnsServerAddress[];
  private readonly timeoutMs: number;
  private readonly maxCacheEntries: number;
  private readonly tries: number;
  private readonly negativeTtl: number;
  private readonly errorCacheMs: number;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<DnsAnswer<unknown>>>();
  /** The server that answered last is asked first, so a dead first server costs one timeout, not one per query. */
  private preferred = 0;

  constructor(options: DnsClientOptions) {
    const specs = options.servers.length ? options.servers : getServers();
    this.servers = (specs.length ? specs : ['127.0.0.1']).map(parseDnsServer);
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxCacheEntries = options.maxCacheEntries ?? 10_000;
    this.tries = options.tries ?? 2;
    this.negativeTtl = options.negativeTtlSeconds ?? 60;
    this.errorCacheMs = options.errorCacheMs ?? 5000;
  }

  mx(name: string): Promise<DnsAnswer<MxRecord[]>> {
    return this.lookup(name, 'MX', (answers) =>
      answers.flatMap((a) =>
        a.type === 'MX' ? [{ exchange: normalizeName(a.data.exchange) || '.', priority: a.data.preference ?? 0 }] : [],
      ),
    );
  }

  /** IPv4 addresses first, then IPv6; an IP literal is returned as it is. */
  async addresses(name: string): Promise<DnsAnswer<string[]>> {
    const literal = name.replace(/^\[|\]$/g, '');
    if (isIP(literal)) return { status: 'ok', value: [literal], ttl: MAX_TTL };
    const [v4, v6] = await Promise.all([this.lookup(name, 'A', addressesOf('A')), this.lookup(name, 'AAAA', addressesOf('AAAA'))]);
    if (v4.status === 'ok' && v6.status === 'ok') return { status: 'ok', value: [...v4.value, ...v6.value], ttl: Math.min(v4.ttl, v6.ttl) };
    if (v4.status === 'ok') return v4;
    if (v6.status === 'ok') return v6;
    if (v4.status === 'nxdomain' || v6.status === 'nxdomain') return { status: 'nxdomain' };
    if (v4.status === 'error') return v4;
    if (v6.status === 'error') return v6;
    return { status: 'nodata' };
  }

  /** TXT records, each as its character-strings (as node's resolveTxt gives them). */
  txt(name: string): Promise<DnsAnswer<string[][]>> {
    return this.lookup(name, 'TXT', (answers) => answers.flatMap((a) => (a.type === 'TXT' ? [[a.data].flat().map((chunk) => (typeof chunk === 'string' ? chunk : chunk.toString('latin1')))] : [])));
  }

  /** The A or AAAA records alone (SPF asks them one by one). */
  address(name: string, type: 'A' | 'AAAA'): Promise<DnsAnswer<string[]>> {
    return this.lookup(name, type, addressesOf(type));
  }

  /** PTR or CNAME targets, without the trailing dot. */
  names(name: string, type: 'PTR' | 'CNAME'): Promise<DnsAnswer<string[]>> {
    return this.lookup(name, type, (answers) => answers.flatMap((a) => (a.type === type ? [a.data.replace(/\.$/, '')] : [])));
  }

  /** Forgets every cached answer (tests, and operators after fixing a DNS mistake). */
  clear(): void {
    this.cache.clear();
  }

  private lookup<T>(name: string, type: RecordType, extract: (answers: packet.Answer[]) => T[]): Promise<DnsAnswer<T[]>> {
    const normalized = normalizeName(name);
    if (!normalized) return Promise.resolve({ status: 'nxdomain' });
    const key = `${type} ${normalized}`;
    const cached = this.cache.get(key);
    const now = Date.now();
    if (cached && cached.expires > now) {
      const answer = cached.answer as DnsAnswer<T[]>;
      return Promise.resolve(answer.status === 'ok' ? { ...answer, ttl: Math.ceil((cached.expires - now) / 1000) } : answer);
    }
    let pending = this.inflight.get(key) as Promise<DnsAnswer<T[]>> | undefined;
    if (!pending) {
      pending = this.query(normalized, type, extract).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async query<T>(name: string, type: RecordType, extract: (answers: packet.Answer[]) => T[]): Promise<DnsAnswer<T[]>> {
    const failures: string[] = [];
    for (let round = 0; round < this.tries; round++) {
      for (let i = 0; i < this.servers.length; i++) {
        const index = (this.preferred + i) % this.servers.length;
        const server = this.servers[index]!;
        let response: packet.DecodedPacket;
        try {
          response = await queryDns(server, name, type, this.timeoutMs);
        } catch (error) {
          failures.push(`${server.host}:${server.port}: ${(error as Error).message}`);
          continue;
        }
        const rcode = rcodeOf(response);
        if (rcode !== RCODE.NOERROR && rcode !== RCODE.NXDOMAIN) {
          failures.push(`${server.host}:${server.port}: ${rcode === RCODE.SERVFAIL ? 'SERVFAIL' : `rcode ${rcode}`}`);
          continue;
        }
        this.preferred = index;
        const { answer, ttl } = this.answerOf(response, type, extract);
        return this.store(`${type} ${name}`, answer, ttl * 1000);
      }
    }
    const message = `DNS ${type} lookup of ${name} failed: ${[...new Set(failures)].join('; ')}`;
    return this.store(`${type} ${name}`, { status: 'error', message }, this.errorCacheMs);
  }

  private answerOf<T>(response: packet.DecodedPacket, type: RecordType, extract: (answers: packet.Answer[]) => T[]): { answer: DnsAnswer<T[]>; ttl: number } {
    if (rcodeOf(response) === RCODE.NOERROR) {
      // The records asked for: a CNAME the server followed on the way (to an A, say) is not one.
      const records = (response.answers ?? []).filter((a) => a.type === type);
      const value = extract(records);
      if (value.length) {
        const ttl = clampTtl(Math.min(...records.map((r) => ('ttl' in r && r.ttl !== undefined ? r.ttl : MAX_TTL))));
        return { answer: { status: 'ok', value, ttl }, ttl };
      }
    }
    // RFC 2308 section 5: a negative answer lives for min(SOA TTL, SOA MINIMUM).
    const soa = (response.authorities ?? []).find((a): a is packet.SoaAnswer => a.type === 'SOA');
    const ttl = soa ? clampTtl(Math.min(soa.ttl ?? MAX_TTL, soa.data.minimum ?? MAX_TTL)) : this.negativeTtl;
    return { answer: rcodeOf(response) === RCODE.NXDOMAIN ? { status: 'nxdomain' } : { status: 'nodata' }, ttl };
  }

  private store<T>(key: string, answer: DnsAnswer<T>, ttlMs: number): DnsAnswer<T> {
    if (ttlMs > 0) {
      this.cache.delete(key);
      // Map keeps insertion order, so the first key is the oldest entry: evicting it bounds memory without an LRU list.
      if (this.cache.size >= this.maxCacheEntries) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { expires: Date.now() + ttlMs, answer });
    }
    return answer;
  }
}

function addressesOf(type: 'A' | 'AAAA'): (answers: packet.Answer[]) => string[] {
  return (answers) => answers.flatMap((a) => (a.type === type ? [a.data] : []));
}

function clampTtl(seconds: number): number {
  return Math.min(MAX_TTL, Math.max(MIN_TTL, Math.floor(seconds)));
}

/** Lower case, no trailing dot, internationalized names in their ASCII (punycode) form; '' when not a valid name. */
export function normalizeName(name: string): string {
  const trimmed = name.trim().replace(/\.$/, '').toLowerCase();
  if (!trimmed) return '';
  return /^[a-z0-9._-]+$/.test(trimmed) ? trimmed : domainToASCII(trimmed);
}
