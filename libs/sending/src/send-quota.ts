import { Injectable } from '@nestjs/common';
import { DomainError } from '@mailroom/common';
import { AccountRepository } from '@mailroom/db';
import { RedisConnection } from '@mailroom/platform';
import { HourlyQuota } from '@mailroom/ratelimit';

/** How long an account's limit is reused before it is read again. */
const LIMIT_CACHE_MS = 30_000;

/**
 * The account's optional hourly cap (accounts.send_limit_per_hour), shared by the API and the
 * relay and counted in Redis, so every process of the installation draws on the same hour.
 */
@Injectable()
export class SendQuota {
  private readonly quota: HourlyQuota;
  private readonly limits = new Map<string, { limit: number | null; until: number }>();

  constructor(
    private readonly accounts: AccountRepository,
    redis: RedisConnection,
  ) {
    this.quota = new HourlyQuota(redis.client, redis.key('sending'));
  }

  /**
   * Counts `count` messages against the account's hourly limit, or throws `rate_limited`;
   * returns how to give them back.
   */
  async take(accountId: string, count: number): Promise<() => Promise<void>> {
    let cached = this.limits.get(accountId);
    if (!cached || cached.until < Date.now()) {
      const account = await this.accounts.find(accountId);
      cached = { limit: account?.sendLimitPerHour ?? null, until: Date.now() + LIMIT_CACHE_MS };
      this.limits.set(accountId, cached);
    }
    if (cached.limit === null || count === 0) return async () => undefined;
    const taken = await this.quota.take(accountId, count, cached.limit);
    if (!taken.ok) {
      throw new DomainError(
        'rate_limited',
        'send_limit_exceeded',
        `this account may send ${cached.limit} messages per hour; ${taken.used} sent this hour, ${count} more refused; the hour resets in ${taken.resetsInSeconds} s`,
      );
    }
    // Messages that are not stored after all (the database failed) do not use up the hour.
    return () => this.quota.giveBack(accountId, count, taken.hour).catch(() => undefined);
  }
}
