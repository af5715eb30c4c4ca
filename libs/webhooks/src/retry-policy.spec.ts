import { describe, expect, it } from 'vitest';
import { WebhookRetryPolicy } from './retry-policy';
import { parseRetryAfter } from './webhook-sender';

const SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400];

describe('WebhookRetryPolicy', () => {
  it('follows the schedule after each failed attempt, about three days in all, then stops', () => {
    const policy = new WebhookRetryPolicy(SCHEDULE, () => 0.5); // no jitter
    expect(policy.maxAttempts).toBe(10);
    let now = 0;
    for (let attempt = 1; attempt <= 9; attempt++) {
      const next = policy.next(attempt, now)!;
      expect(next.getTime() - now).toBe(SCHEDULE[attempt - 1]! * 1000);
      now = next.getTime();
    }
    expect(now / 3600_000).toBeCloseTo(75.6, 0);
    expect(policy.next(10, now)).toBeNull();
  });

  it('jitters each wait by at most 10%', () => {
    const low = new WebhookRetryPolicy(SCHEDULE, () => 0).next(3, 0)!.getTime();
    const high = new WebhookRetryPolicy(SCHEDULE, () => 0.999999).next(3, 0)!.getTime();
    expect(low).toBe(1800 * 900);
    expect(high).toBeGreaterThan(1800 * 1099);
    expect(high).toBeLessThanOrEqual(1800 * 1100);
  });

  it("uses the endpoint's Retry-After instead of the schedule", () => {
    const policy = new WebhookRetryPolicy(SCHEDULE);
    expect(policy.next(1, 0, 120)!.getTime()).toBe(120_000);
    expect(policy.next(1, 0, 0)!.getTime()).toBe(1000);
    expect(policy.next(1, 0, 10 ** 9)!.getTime()).toBe(86400_000);
    expect(policy.next(10, 0, 5)).toBeNull();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Mon, 30 Nov 2026 12:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Mon, 30 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
