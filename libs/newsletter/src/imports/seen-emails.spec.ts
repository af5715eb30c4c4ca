import { describe, expect, it } from 'vitest';
import { SeenEmails } from './seen-emails';

describe('SeenEmails', () => {
  it('tells new addresses from repeated ones as it grows', () => {
    const seen = new SeenEmails(4);
    for (let i = 0; i < 50_000; i++) expect(seen.add(`user${i}@example.com`)).toBe(true);
    for (let i = 0; i < 50_000; i += 7) expect(seen.add(`user${i}@example.com`)).toBe(false);
    expect(seen.add('user50000@example.com')).toBe(true);
    expect(seen.size).toBe(50_001);
  });
});
