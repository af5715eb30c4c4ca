import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher';

const tick = () => new Promise((r) => setImmediate(r));

describe('Batcher', () => {
  it('runs a batch in its own async context, not that of the caller who started it', async () => {
    const context = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    const batcher = new Batcher<number, number>(async (items) => (seen.push(context.getStore()), items));
    await Promise.all([context.run('request-1', () => batcher.submit(1)), context.run('request-2', () => batcher.submit(2))]);
    expect(seen).toEqual([undefined]);
  });

  it('runs a lone item at the end of the tick', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>(async (items) => (batches.push(items), items.map((i) => i * 2)));
    expect(await batcher.submit(21)).toBe(42);
    expect(batches).toEqual([[21]]);
  });

  it('gathers what arrives while the batches in flight run, and runs it as one batch after', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batcher = new Batcher<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items;
    }, { maxInFlight: 1 });
    const first = batcher.submit(0);
    await tick();
    const rest = Array.from({ length: 50 }, (_, i) => batcher.submit(i + 1));
    await tick();
    await tick();
    expect(batches).toEqual([[0]]);
    release();
    expect(await Promise.all([first, ...rest])).toEqual(Array.from({ length: 51 }, (_, i) => i));
    expect(batches.map((b) => b.length)).toEqual([1, 50]);
  });

  it('keeps batches within maxSize and fails only the batch whose run failed', async () => {
    const batcher = new Batcher<number, number>(async (items) => {
      if (items.includes(3)) throw new Error('bad batch');
      return items;
    }, { maxSize: 3, maxInFlight: 4 });
    const results = await Promise.allSettled(Array.from({ length: 7 }, (_, i) => batcher.submit(i)));
    // Batches [0,1,2] [3,4,5] [6]: only the middle one fails.
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled']);
  });

  it('starts a batch at most every minIntervalMs, gathering what arrives meanwhile, yet runs a lone item at once', async () => {
    const batches: Array<{ at: number; size: number }> = [];
    const batcher = new Batcher<number, number>(async (items) => (batches.push({ at: Date.now(), size: items.length }), items), { minIntervalMs: 40 });
    const started = Date.now();
    await batcher.submit(0);
    expect(Date.now() - started).toBeLessThan(200);
    const rest = Array.from({ length: 10 }, (_, i) => new Promise((r) => setTimeout(r, i * 2)).then(() => batcher.submit(i + 1)));
    await Promise.all(rest);
    expect(batches.length).toBeLessThanOrEqual(3);
    expect(batches.reduce((n, b) => n + b.size, 0)).toBe(11);
    for (let i = 1; i < batches.length; i++) expect(batches[i]!.at - batches[i - 1]!.at).toBeGreaterThanOrEqual(30);
  });
});
