import { describe, expect, it } from 'vitest';
import { STAT_COUNTERS, type StatCounts } from '@mailroom/db';
import { authentication, complaintRate, hardBounceRate, oneClickUnsubscribe, unsubscribeTime, worst } from './health-rules';
import { providerOf } from './mailbox-providers';

const counts = (c: Partial<StatCounts>): StatCounts => ({ ...(Object.fromEntries(STAT_COUNTERS.map((k) => [k, 0])) as StatCounts), ...c });

describe('health rules', () => {
  it("judges complaints against Gmail's 0.1 % target and 0.3 % ceiling", () => {
    expect(complaintRate('24h', counts({ delivered: 10_000, complained: 5 })).status).toBe('ok');
    expect(complaintRate('24h', counts({ delivered: 10_000, complained: 10 })).status).toBe('warning');
    expect(complaintRate('24h', counts({ delivered: 10_000, complained: 30 })).status).toBe('failing');
    const failing = complaintRate('7d', counts({ delivered: 1000, complained: 4 }));
    expect(failing.value).toBeCloseTo(0.004);
    expect(failing.why).toContain('0.40 %');
    expect(complaintRate('24h', counts({})).status).toBe('ok');
  });

  it('judges hard bounces over the mail attempted', () => {
    const check = hardBounceRate('7d', counts({ delivered: 90, bounced_hard: 6, blocked: 4 }));
    expect(check.value).toBeCloseTo(0.06);
    expect(check.status).toBe('failing');
  });

  it('holds unsubscribes to 48 hours and broadcast mail to one-click unsubscribe', () => {
    expect(unsubscribeTime(60, 3).status).toBe('ok');
    expect(unsubscribeTime(30 * 3600, 3).status).toBe('warning');
    expect(unsubscribeTime(49 * 3600, 3).status).toBe('failing');
    expect(oneClickUnsubscribe(0, 0).status).toBe('ok');
    expect(oneClickUnsubscribe(10, 10).status).toBe('ok');
    expect(oneClickUnsubscribe(10, 9)).toMatchObject({ status: 'failing', value: false });
  });

  it('says which authentication record is missing', () => {
    const now = new Date();
    const checks = authentication({ name: 'example.com', returnPathDomain: 'mr-bounces.example.com', dkimVerified: true, spfVerified: true, returnPathVerified: true, dmarcVerified: false, lastCheckedAt: now }, now);
    expect(checks.map((c) => [c.check, c.status])).toEqual([['dkim', 'ok'], ['spf', 'ok'], ['dmarc', 'failing']]);
    expect(checks[2]!.why).toContain('_dmarc.example.com');
    expect(worst(checks.map((c) => c.status))).toBe('failing');
  });

  it('names mailbox providers by their MX domains', () => {
    expect(providerOf('google.com')).toBe('Google');
    expect(providerOf('outlook.com')).toBe('Microsoft');
    expect(providerOf('yahoodns.net')).toBe('Yahoo');
    expect(providerOf('example.net')).toBe('example.net');
    expect(providerOf('')).toBe('unknown');
  });
});
