import { isIP } from 'node:net';
import type { Redis } from 'ioredis';

export interface AuthFailureLimits {
  /**
   * Failures for one user name from one source before that source's attempts for that user are
   * refused unchecked. Counted per pair so that guessing from elsewhere cannot lock the owner out.
   */
  perUserAndSource: number;
  /** Failures from one source, whatever the user names (password spraying), higher for shared NATs. */
  perSource: number;
  /**
   * Failures for one user name from every source together (guessing spread over many addresses).
   * Sources the user logged in from lately are exempt, so reaching it never locks the owner out of
   * an address they use; it only refuses addresses the user has not logged in from.
   */
  perUser: number;
  /** Counters expire this long after their first failure. */
  windowSeconds: number;
  /** How long a good login makes its source one of the user's own. Default 30 days. */
  knownSourceSeconds?: number;
}

/**
 * Where a login comes from, as the limiter counts it: an IPv4 address, or an IPv6 address's /64
 * (one customer's network, which can hold any number of addresses). IPv4-mapped IPv6 is IPv4.
 */
export function loginSource(address: string): string {
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  if (isIP(plain) !== 6) return plain;
  const [head = '', tail = ''] = plain.split('%')[0]!.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // A trailing dotted IPv4 part (::ffff:0:1.2.3.4, 64:ff9b::1.2.3.4) fills two groups.
  const width = (groups: string[]) => groups.length + (groups.at(-1)?.includes('.') ? 1 : 0);
  const groups = plain.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - width(left) - width(right))).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * Counts failed logins in Redis, so the limits hold across every process of an installation: per
 * (user name, source) pair, per source, and per user name with the user's own sources exempt.
 * Once a count reaches its limit, attempts are refused before the password is even checked:
 * guessing costs the guesser, not our CPU (scrypt is deliberately slow).
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

  private keys(ip: string, user: string): { pair: string; source: string; user: string; known: string } {
    const source = loginSource(ip);
    const name = user.trim().toLowerCase().slice(0, 320);
    // A source never holds '|', so (source, user) pairs cannot collide.
    return {
      pair: `${this.keyPrefix}:authfail:pair:${source}|${name}`,
      source: `${this.keyPrefix}:authfail:ip:${source}`,
      user: `${this.keyPrefix}:authfail:user:${name}`,
      known: `${this.keyPrefix}:authok:${source}|${name}`,
    };
  }

  /** True when this source has failed too often, for this user or for all, or the user is under attack from elsewhere. */
  async blocked(ip: string, user: string): Promise<boolean> {
    const keys = this.keys(ip, user);
    try {
      const [pair, source, byUser, known] = await this.redis.mget(keys.pair, keys.source, keys.user, keys.known);
      return (
        Number(pair ?? 0) >= this.limits.perUserAndSource ||
        Number(source ?? 0) >= this.limits.perSource ||
        (Number(byUser ?? 0) >= this.limits.perUser && known === null)
      );
    } catch (error) {
      this.onError(error, 'login rate limit unavailable');
      return false;
    }
  }

  async failed(ip: string, user: string): Promise<void> {
    const keys = this.keys(ip, user);
    const multi = this.redis.multi();
    for (const key of [keys.pair, keys.source, keys.user]) multi.incr(key).expire(key, this.limits.windowSeconds, 'NX');
    await multi.exec().catch((error: unknown) => this.onError(error, 'login failure not counted'));
  }

  /**
   * A good password clears this pair's count and makes the source one of the user's own. Neither
   * the source's count (one good account must not unlock guessing others) nor the user's total
   * (the owner logging in must not give a distributed guesser a fresh allowance) is cleared.
   */
  async succeeded(ip: string, user: string): Promise<void> {
    const keys = this.keys(ip, user);
    await this.redis
      .multi()
      .del(keys.pair)
      .set(keys.known, '1', 'EX', this.limits.knownSourceSeconds ?? 30 * 86_400)
      .exec()
      .catch((error: unknown) => this.onError(error, 'login failures not cleared'));
  }
}
