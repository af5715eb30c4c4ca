import type { Redis } from 'ioredis';

export interface AuthFailureLimits {
  /** Failures from one client address before its attempts are refused unchecked. */
  perIp: number;
  /** Failures for one user name (from anywhere) before its attempts are refused unchecked. */
  perUser: number;
  /** Counters expire this long after the first failure. */
  windowSeconds: number;
}

/**
 * Counts failed logins per client IP and per user name in Redis, so the limit holds across every
 * process of an installation. Once either count reaches its limit, attempts are refused before the
 * password is even checked: guessing costs the guesser, not our CPU (scrypt is deliberately slow).
 */
export class AuthFailureLimiter {
  constructor(
    private readonly redis: Redis,
    /** e.g. `mailroom:smtp`: keys live under it. */
    private readonly keyPrefix: string,
    private readonly limits: AuthFailureLimits,
    /** Told when Redis cannot be reached: the check is then skipped, passwords are still verified. */
    private readonly onError: (error: unknown, what: string) => void = () => undefined,
  ) {}

  private keys(ip: string, user: string): [string, string] {
    return [`${this.keyPrefix}:authfail:ip:${ip}`, `${this.keyPrefix}:authfail:user:${user.trim().toLowerCase().slice(0, 320)}`];
  }

  /** True when this IP or this user name has failed too often lately. */
  async blocked(ip: string, user: string): Promise<boolean> {
    try {
      const [byIp, byUser] = await this.redis.mget(...this.keys(ip, user));
      return Number(byIp ?? 0) >= this.limits.perIp || Number(byUser ?? 0) >= this.limits.perUser;
    } catch (error) {
      this.onError(error, 'login rate limit unavailable');
      return false;
    }
  }

  async failed(ip: string, user: string): Promise<void> {
    const multi = this.redis.multi();
    for (const key of this.keys(ip, user)) multi.incr(key).expire(key, this.limits.windowSeconds, 'NX');
    await multi.exec().catch((error: unknown) => this.onError(error, 'login failure not counted'));
  }

  /** A good password clears the user's count (not the IP's: one good account must not unlock guessing others). */
  async succeeded(user: string): Promise<void> {
    await this.redis.del(this.keys('', user)[1]).catch((error: unknown) => this.onError(error, 'login failures not cleared'));
  }
}
