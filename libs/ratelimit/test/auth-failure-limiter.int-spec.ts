import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthFailureLimiter, loginSource } from '@mailroom/ratelimit';
import { freePort, TEST_REDIS_URL } from '@mailroom/testing';

describe('AuthFailureLimiter (real Redis, shared by every process)', () => {
  const redis = new Redis(TEST_REDIS_URL);
  const prefix = `test-authfail-${randomBytes(4).toString('hex')}`;
  const limits = { perUserAndSource: 3, perSource: 5, perUser: 6, windowSeconds: 3600 };
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('counts IPv4 addresses one by one and IPv6 addresses by /64', () => {
    expect(loginSource('192.0.2.7')).toBe('192.0.2.7');
    expect(loginSource('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(loginSource('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(loginSource('2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(loginSource('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(loginSource('::1')).toBe('0:0:0:0::/64');
    expect(loginSource('64:ff9b::192.0.2.7')).toBe('64:ff9b:0:0::/64');
  });

  it('refuses the guessing address for that user only; the user from elsewhere and others from there go on', async () => {
    const limiter = new AuthFailureLimiter(redis, `${prefix}:pair`, limits);
    for (let i = 0; i < 3; i++) await limiter.failed('192.0.2.1', 'ann');
    expect(await limiter.blocked('192.0.2.1', 'ann')).toBe(true);
    expect(await limiter.blocked('192.0.2.2', 'ann')).toBe(false);
    expect(await limiter.blocked('192.0.2.1', 'bob')).toBe(false);
    // Another address in the same IPv6 /64 is the same source.
    for (let i = 0; i < 3; i++) await limiter.failed('2001:db8:1:2::10', 'amy');
    expect(await limiter.blocked('2001:db8:1:2::99', 'amy')).toBe(true);
    expect(await limiter.blocked('2001:db8:1:3::10', 'amy')).toBe(false);
  });

  it('refuses an address that tries many user names (spraying)', async () => {
    const limiter = new AuthFailureLimiter(redis, `${prefix}:spray`, limits);
    for (let i = 0; i < 5; i++) await limiter.failed('198.51.100.1', `user${i}`);
    expect(await limiter.blocked('198.51.100.1', 'someone-else')).toBe(true);
    expect(await limiter.blocked('198.51.100.2', 'someone-else')).toBe(false);
  });

  it('past the per-user ceiling, refuses new addresses for that user but never one the user logged in from', async () => {
    const limiter = new AuthFailureLimiter(redis, `${prefix}:ceiling`, limits);
    await limiter.succeeded('203.0.113.50', 'carol');
    for (let i = 0; i < 6; i++) await limiter.failed(`203.0.113.${i + 1}`, 'carol');
    expect(await limiter.blocked('203.0.113.99', 'carol')).toBe(true);
    expect(await limiter.blocked('203.0.113.50', 'carol')).toBe(false);
    expect(await limiter.blocked('203.0.113.99', 'dave')).toBe(false);
  });

  it('a good login clears that pair, not the address’s count across users', async () => {
    const limiter = new AuthFailureLimiter(redis, `${prefix}:clear`, limits);
    for (let i = 0; i < 2; i++) await limiter.failed('192.0.2.9', 'erin');
    for (let i = 0; i < 3; i++) await limiter.failed('192.0.2.9', `other${i}`);
    expect(await limiter.blocked('192.0.2.9', 'erin')).toBe(true); // 5 from this address
    await limiter.succeeded('192.0.2.9', 'erin');
    expect(await limiter.blocked('192.0.2.9', 'erin')).toBe(true);
    expect(await redis.get(`${prefix}:clear:authfail:pair:192.0.2.9|erin`)).toBeNull();
  });

  it('fails open, and says so, when Redis cannot be reached', async () => {
    const down = new Redis({ port: await freePort(), lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const told: string[] = [];
    const limiter = new AuthFailureLimiter(down, prefix, limits, (_error, what) => told.push(what));
    await limiter.failed('192.0.2.1', 'ann');
    expect(await limiter.blocked('192.0.2.1', 'ann')).toBe(false);
    await limiter.succeeded('192.0.2.1', 'ann');
    expect(told).toEqual(['login failure not counted', 'login rate limit unavailable', 'login failures not cleared']);
    down.disconnect();
  });
});
