import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Limits for one destination: connections at once, and optionally messages per minute. */
export interface DestinationLimits {
  maxConnections: number;
  messagesPerMinute?: number | null;
}

export interface DestinationPolicyRule extends DestinationLimits {
  /** "gmail.com" matches that recipient domain; ".google.com" matches MX hosts ending in it. */
  pattern: string;
}

export type Admission =
  | {
      ok: true;
      /**
       * Counts one more message over the slot already held (a run of messages to one domain):
       * 0 when it may go now, else the milliseconds until the rate window opens. No Redis
       * round trip unless the destination has a rate.
       */
      next: () => Promise<number>;
      release: () => Promise<void>;
    }
  | { ok: false; waitMs: number };

/**
 * Takes a slot (ZSET member with an expiry, so a crashed worker's slot frees itself) when fewer
 * than `limit` are held, and counts the message against the current minute's rate window.
 * Returns 1, or the negative milliseconds to wait.
 */
const ACQUIRE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return -50 end
local rate = tonumber(ARGV[5])
if rate > 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= rate then return -(60000 - (now % 60000)) end
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], 120000)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1`;

/** One more message in the rate window of a slot already held; 0, or the milliseconds to wait. */
const NEXT = `
local now = tonumber(ARGV[1])
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
if used >= tonumber(ARGV[3]) then return 60000 - (now % 60000) end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], 120000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 0`;

/**
 * Per-destination concurrency caps and rates (SPEC 6), shared by every worker process through
 * Redis, so a campaign to one provider opens at most N connections to it however many workers
 * run. Limits come from destination policies (by recipient domain or MX host suffix), else the
 * default.
 */
export class DestinationLimiter {
  private rules: DestinationPolicyRule[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly defaults: DestinationLimits,
    /** How long a slot is held at most if its holder dies (the delivery lease). */
    private readonly slotTtlMs: number,
  ) {}

  setRules(rules: DestinationPolicyRule[]): void {
    this.rules = rules.map((r) => ({ ...r, pattern: r.pattern.toLowerCase() }));
  }

  /** The limits and the key they count under for a delivery to `domain` through `mxHosts`. */
  limitsFor(domain: string, mxHosts: string[]): { key: string; limits: DestinationLimits } {
    const exact = this.rules.find((r) => !r.pattern.startsWith('.') && r.pattern === domain);
    if (exact) return { key: exact.pattern, limits: exact };
    const bySuffix = this.rules.find((r) => r.pattern.startsWith('.') && mxHosts.some((h) => h.endsWith(r.pattern)));
    if (bySuffix) return { key: bySuffix.pattern, limits: bySuffix };
    return { key: domain, limits: this.defaults };
  }

  async acquire(domain: string, mxHosts: string[]): Promise<Admission> {
    const { key, limits } = this.limitsFor(domain, mxHosts);
    const token = randomUUID();
    const now = Date.now();
    const slots = `${this.keyPrefix}:dest:${key}:slots`;
    const rateKey = (at: number) => `${this.keyPrefix}:dest:${key}:rate:${Math.floor(at / 60000)}`;
    const result = Number(
      await this.redis.eval(ACQUIRE, 2, slots, rateKey(now), now, this.slotTtlMs, limits.maxConnections, token, limits.messagesPerMinute ?? 0),
    );
    if (result < 0) return { ok: false, waitMs: -result };
    let renewedAt = now;
    return {
      ok: true,
      next: async () => {
        const at = Date.now();
        if (limits.messagesPerMinute) {
          renewedAt = at;
          return Number(await this.redis.eval(NEXT, 2, slots, rateKey(at), at, this.slotTtlMs, limits.messagesPerMinute, token));
        }
        // A long run keeps its slot from expiring under it (the expiry frees dead workers' slots).
        if (at - renewedAt > this.slotTtlMs / 2) {
          renewedAt = at;
          await this.redis.multi().zadd(slots, 'XX', at + this.slotTtlMs, token).pexpire(slots, this.slotTtlMs).exec();
        }
        return 0;
      },
      release: async () => void (await this.redis.zrem(slots, token)),
    };
  }
}
