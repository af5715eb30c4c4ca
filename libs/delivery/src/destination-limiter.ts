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
 * Slot expiries are on Redis's clock, not the workers': with lifetimes of a few seconds, a worker
 * whose clock is behind would otherwise write expiries the others take as past.
 */
const REDIS_NOW = `local t = redis.call('TIME')
local rnow = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Takes a slot (ZSET member scored with its expiry, which its holder's heartbeat keeps pushing
 * ahead, so a dead holder's slot frees itself within one slot lifetime) when fewer than `limit`
 * are held, and counts the message against the current minute's rate window.
 * Returns 1, or the negative milliseconds to wait.
 */
const ACQUIRE = `
local now = tonumber(ARGV[1])
${REDIS_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', rnow)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return -50 end
local rate = tonumber(ARGV[5])
if rate > 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= rate then return -(60000 - (now % 60000)) end
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], 120000)
end
redis.call('ZADD', KEYS[1], rnow + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1`;

/** One more message in the rate window of a slot already held; 0, or the milliseconds to wait. */
const NEXT = `
local now = tonumber(ARGV[1])
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
if used >= tonumber(ARGV[3]) then return 60000 - (now % 60000) end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], 120000)
return 0`;

/**
 * The heartbeat: pushes the expiry of the slots still held ahead. Only a member present and not
 * yet expired is renewed, so a slot released (ZREM) or lapsed (its worker was silent too long,
 * and another may have its place by now) never comes back. Returns how many were renewed.
 */
const RENEW = `
${REDIS_NOW}
local renewed = 0
for i = 3, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) > rnow then
    redis.call('ZADD', KEYS[1], 'XX', rnow + tonumber(ARGV[2]), ARGV[i])
    renewed = renewed + 1
  end
end
if renewed > 0 and redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return renewed`;

/**
 * Per-destination concurrency caps and rates (SPEC 6), shared by every worker process through
 * Redis, so a campaign to one provider opens at most N connections to it however many workers
 * run. Limits come from destination policies (by recipient domain or MX host suffix), else the
 * default.
 */
export class DestinationLimiter {
  private rules: DestinationPolicyRule[] = [];
  /** Slots this process holds, by ZSET key: what renew() keeps alive. */
  private readonly held = new Map<string, Set<string>>();

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly defaults: DestinationLimits,
    /**
     * How long a slot outlives its holder's last renewal: a worker calls renew() several times
     * within it (its heartbeat), so only a dead or stuck worker's slots lapse.
     */
    private readonly slotTtlMs: number,
    /** Written into each slot's member (the worker id), so a look at the ZSET shows who holds what. */
    private readonly owner = 'anonymous',
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
    const token = `${this.owner}:${randomUUID()}`;
    const now = Date.now();
    const slots = `${this.keyPrefix}:dest:${key}:slots`;
    const rateKey = (at: number) => `${this.keyPrefix}:dest:${key}:rate:${Math.floor(at / 60000)}`;
    const result = Number(
      await this.redis.eval(ACQUIRE, 2, slots, rateKey(now), now, this.slotTtlMs, limits.maxConnections, token, limits.messagesPerMinute ?? 0),
    );
    if (result < 0) return { ok: false, waitMs: -result };
    this.hold(slots, token);
    let released = false;
    return {
      ok: true,
      next: async () => {
        if (!limits.messagesPerMinute) return 0;
        const at = Date.now();
        return Number(await this.redis.eval(NEXT, 2, slots, rateKey(at), at, this.slotTtlMs, limits.messagesPerMinute, token));
      },
      release: async () => {
        if (released) return;
        released = true;
        // Forgotten first: a renewal after the ZREM must not find it (RENEW skips absent members anyway).
        this.forget(slots, token);
        await this.redis.zrem(slots, token);
      },
    };
  }

  /** Slots this process holds now. */
  get holding(): number {
    let n = 0;
    for (const tokens of this.held.values()) n += tokens.size;
    return n;
  }

  /**
   * The heartbeat's half in Redis: pushes every held slot's expiry a slot lifetime ahead, in one
   * round trip. Call it several times per slot lifetime.
   */
  async renew(): Promise<void> {
    if (!this.held.size) return;
    const now = Date.now();
    const pipeline = this.redis.pipeline();
    for (const [slots, tokens] of this.held) pipeline.eval(RENEW, 1, slots, now, this.slotTtlMs, ...tokens);
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  /** Gives back every slot still held (a worker stopping): none waits out its expiry. */
  async releaseAll(): Promise<void> {
    const held = [...this.held];
    this.held.clear();
    if (!held.length) return;
    const pipeline = this.redis.pipeline();
    for (const [slots, tokens] of held) pipeline.zrem(slots, ...tokens);
    await pipeline.exec();
  }

  private hold(slots: string, token: string): void {
    const tokens = this.held.get(slots);
    if (tokens) tokens.add(token);
    else this.held.set(slots, new Set([token]));
  }

  private forget(slots: string, token: string): void {
    const tokens = this.held.get(slots);
    if (!tokens) return;
    tokens.delete(token);
    if (!tokens.size) this.held.delete(slots);
  }
}
