import type { Resolver } from 'node:dns/promises';

type Answer = string[][] | string[];

const NEGATIVE = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

/**
 * A small in-process cache in front of the resolver mailauth uses: every message from one
 * sender asks the same SPF, DKIM key and DMARC questions, and Node's resolver caches nothing.
 * Answers are kept for `ttlMs` (TTLs are not exposed by `resolve`), "no such record" for a
 * shorter time, failures not at all; the oldest entries go first past `maxEntries`.
 */
export class DnsCache {
  private readonly entries = new Map<string, { expires: number; answer: Promise<Answer> }>();

  constructor(
    private readonly resolver: Pick<Resolver, 'resolve'>,
    private readonly ttlMs = 60_000,
    private readonly negativeTtlMs = 15_000,
    private readonly maxEntries = 10_000,
  ) {}

  resolve(name: string, type: string): Promise<Answer> {
    const key = `${type}:${name.toLowerCase()}`;
    const now = Date.now();
    const cached = this.entries.get(key);
    if (cached && cached.expires > now) return cached.answer;
    const answer = (this.resolver.resolve(name, type) as Promise<Answer>).catch((error: { code?: string }) => {
      const entry = this.entries.get(key);
      if (entry?.answer === answer) {
        if (NEGATIVE.has(error.code ?? '')) entry.expires = Date.now() + this.negativeTtlMs;
        else this.entries.delete(key);
      }
      throw error;
    });
    this.entries.delete(key);
    this.entries.set(key, { expires: now + this.ttlMs, answer });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return answer;
  }
}
