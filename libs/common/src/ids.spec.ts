import { describe, expect, it } from 'vitest';
import { isUuid, newOrderedId } from './ids';

describe('newOrderedId', () => {
  it('makes UUIDv7 ids that increase, even within one millisecond, and carry the time', () => {
    const before = Date.now();
    const ids = Array.from({ length: 2000 }, () => newOrderedId());
    const after = Date.now();
    for (const id of ids) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7'); // version
      expect('89ab').toContain(id[19]); // RFC 9562 variant
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const millis = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(millis(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(millis(ids.at(-1)!)).toBeLessThanOrEqual(after);
  });
});
