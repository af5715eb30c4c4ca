import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DestinationLimiter } from '@mailroom/delivery';
import { TEST_REDIS_URL } from '@mailroom/testing';

describe('DestinationLimiter (real Redis, shared by every worker)', () => {
  const redis = new Redis(TEST_REDIS_URL);
  const prefix = `test-limiter-${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('caps connections per destination across limiter instances, and frees a slot on release', async () => {
    const a = new DestinationLimiter(redis, prefix, { maxConnections: 2 }, 60_000);
    const b = new DestinationLimiter(redis, prefix, { maxConnections: 2 }, 60_000);
    const first = await a.acquire('cap.test', ['mx.cap.test']);
    const second = await b.acquire('cap.test', ['mx.cap.test']);
    expect(first.ok && second.ok).toBe(true);
    const third = await a.acquire('cap.test', ['mx.cap.test']);
    expect(third).toEqual({ ok: false, waitMs: expect.any(Number) });
    // Another destination is not affected.
    expect((await a.acquire('other.test', ['mx.other.test'])).ok).toBe(true);
    if (first.ok) await first.release();
    expect((await b.acquire('cap.test', ['mx.cap.test'])).ok).toBe(true);
  });

  it('frees the slot of a holder that died once its lease runs out', async () => {
    const limiter = new DestinationLimiter(redis, prefix, { maxConnections: 1 }, 200);
    expect((await limiter.acquire('lease.test', [])).ok).toBe(true);
    expect((await limiter.acquire('lease.test', [])).ok).toBe(false);
    await new Promise((r) => setTimeout(r, 250));
    expect((await limiter.acquire('lease.test', [])).ok).toBe(true);
  });

  it('keeps a slot its holder renews (its heartbeat) past the slot lifetime: a live worker is never robbed', async () => {
    // Renewed every 250 ms, a slot lifetime of 1.5 s: the holder outlives it well, even on a busy machine.
    const holder = new DestinationLimiter(redis, prefix, { maxConnections: 1 }, 1_500, 'worker-a');
    const other = new DestinationLimiter(redis, prefix, { maxConnections: 1 }, 1_500, 'worker-b');
    const slot = await holder.acquire('renewed.test', []);
    expect(slot.ok).toBe(true);
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 250));
      await holder.renew();
      expect((await other.acquire('renewed.test', [])).ok).toBe(false);
    }
    expect(await redis.zrange(`${prefix}:dest:renewed.test:slots`, '0', '-1')).toEqual([expect.stringMatching(/^worker-a:/)]);
  });

  it('never brings back a slot by renewing it once it was released or had lapsed', async () => {
    const a = new DestinationLimiter(redis, prefix, { maxConnections: 1 }, 200, 'worker-a');
    const b = new DestinationLimiter(redis, prefix, { maxConnections: 1 }, 60_000, 'worker-b');
    const key = `${prefix}:dest:lapsed.test:slots`;
    const released = await a.acquire('lapsed.test', []);
    if (!released.ok) throw new Error('expected a slot');
    await released.release();
    await a.renew();
    expect(await redis.zcard(key)).toBe(0);

    // Holder a goes silent past the slot lifetime; b takes the place; a's late renewal changes nothing.
    expect((await a.acquire('lapsed.test', [])).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 250));
    expect((await b.acquire('lapsed.test', [])).ok).toBe(true);
    await a.renew();
    expect(await redis.zrange(key, '0', '-1')).toEqual([expect.stringMatching(/^worker-b:/)]);
    expect((await a.acquire('lapsed.test', [])).ok).toBe(false);
    await b.releaseAll();
    expect(await redis.zcard(key)).toBe(0);
    expect(b.holding).toBe(0);
  });

  it('applies policies by recipient domain or MX host suffix, with a per-minute rate', async () => {
    const limiter = new DestinationLimiter(redis, prefix, { maxConnections: 50 }, 60_000);
    limiter.setRules([{ pattern: '.google.test', maxConnections: 10, messagesPerMinute: 3 }]);
    expect(limiter.limitsFor('gmail.test', ['alt1.aspmx.l.google.test']).key).toBe('.google.test');
    expect(limiter.limitsFor('example.test', ['mx.example.test']).key).toBe('example.test');
    for (let i = 0; i < 3; i++) {
      const slot = await limiter.acquire(`hosted${i}.test`, ['aspmx.l.google.test']);
      expect(slot.ok).toBe(true);
      if (slot.ok) await slot.release();
    }
    const over = await limiter.acquire('hosted9.test', ['aspmx.l.google.test']);
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.waitMs).toBeGreaterThan(0);
  });

  it('counts every message of a run over one slot against the rate, and none when there is no rate', async () => {
    const limiter = new DestinationLimiter(redis, prefix, { maxConnections: 5 }, 60_000);
    limiter.setRules([{ pattern: 'rated.test', maxConnections: 5, messagesPerMinute: 3 }]);
    const slot = await limiter.acquire('rated.test', ['mx.rated.test']);
    if (!slot.ok) throw new Error('expected a slot');
    expect(await slot.next()).toBe(0);
    expect(await slot.next()).toBe(0);
    // The fourth message of the minute (acquire counted the first) must wait for the next window.
    const wait = await slot.next();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60_000);
    await slot.release();
    // Without a rate, a run is never held back, however long.
    const free = await limiter.acquire('unrated.test', ['mx.unrated.test']);
    if (!free.ok) throw new Error('expected a slot');
    for (let i = 0; i < 100; i++) expect(await free.next()).toBe(0);
    await free.release();
  });
});
