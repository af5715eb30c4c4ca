import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, type Logger } from '@mailroom/logger';
import { RedisConnection } from '@mailroom/platform';
import { IMAP_OPTIONS, type ImapOptions } from './imap-options';

/**
 * Counts failed logins per client IP and per user name in Redis, so the limit holds across
 * every IMAP process of an installation. Counters expire a window after the first failure.
 */
@Injectable()
export class LoginLimiter {
  constructor(
    private readonly redis: RedisConnection,
    @Inject(IMAP_OPTIONS) private readonly options: ImapOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private keys(ip: string, user: string): [string, string] {
    return [this.redis.key('imap', 'authfail', 'ip', ip), this.redis.key('imap', 'authfail', 'user', user.toLowerCase().slice(0, 320))];
  }

  /**
   * True when this IP or this user name has failed too often lately. With Redis unreachable
   * the check is skipped (and logged): passwords are still verified, logins keep working.
   */
  async blocked(ip: string, user: string): Promise<boolean> {
    try {
      const [byIp, byUser] = await this.redis.client.mget(...this.keys(ip, user));
      return Number(byIp ?? 0) >= this.options.authFailuresPerIp || Number(byUser ?? 0) >= this.options.authFailuresPerUser;
    } catch (error) {
      this.logger.warn({ err: error }, 'imap login rate limit unavailable');
      return false;
    }
  }

  async failed(ip: string, user: string): Promise<void> {
    const window = this.options.authFailureWindowSeconds;
    const multi = this.redis.client.multi();
    for (const key of this.keys(ip, user)) multi.incr(key).expire(key, window, 'NX');
    await multi.exec().catch((error: unknown) => this.logger.warn({ err: error }, 'imap login failure not counted'));
  }

  /** A good password clears the user's count (not the IP's: one good account must not unlock guessing). */
  async succeeded(user: string): Promise<void> {
    await this.redis.client.del(this.keys('', user)[1]).catch(() => undefined);
  }
}
