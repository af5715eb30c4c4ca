import type { Redis } from 'ioredis';

/**
 * A fixed-window counter per hour: `take(id, n, limit)` counts n more and says whether the hour's
 * total stays within the limit. Refused takes are given back, so a refused batch does not use up
 * the quota it was refused for.
 */
export class HourlyQuota {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async take(id: string, count: number, limit: number): Promise<{ ok: boolean; used: number; resetsInSeconds: number; hour: number }> {
    const now = Date.now();
    const hour = Math.floor(now / 3_600_000);
    const key = this.key(id, hour);
    const [[, used]] = (await this.redis.multi().incrby(key, count).expire(key, 7200).exec()) as [[unknown, number]];
    const resetsInSeconds = Math.ceil(((hour + 1) * 3_600_000 - now) / 1000);
    if (used <= limit) return { ok: true, used, resetsInSeconds, hour };
    await this.redis.decrby(key, count);
    return { ok: false, used: used - count, resetsInSeconds, hour };
  }

  /** Gives back what a take counted (the messages were not stored after all), to the hour it counted in. */
  async giveBack(id: string, count: number, hour: number): Promise<void> {
    await this.redis.decrby(this.key(id, hour), count);
  }

  private key(id: string, hour: number): string {
    return `${this.keyPrefix}:quota:${id}:${hour}`;
  }
}
