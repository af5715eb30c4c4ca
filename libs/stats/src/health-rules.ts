import type { StatCounts } from '@mailroom/db';

export type HealthStatus = 'ok' | 'warning' | 'failing';

export interface HealthCheck {
  check: string;
  window?: '24h' | '7d';
  status: HealthStatus;
  /** The figure judged: a rate (0.001 = 0.1 %), seconds, or whether a record is published. */
  value: number | boolean | null;
  why: string;
}

/**
 * Limits of the health figures. Complaints follow Gmail's bulk-sender rules (stay under 0.1 %,
 * never reach 0.3 %); bounces and blocks the usual guidance (hard bounces under 2 %); one-click
 * unsubscribes must be honoured within 48 hours (Gmail and Yahoo, 2024).
 */
export const HEALTH_LIMITS = {
  complaintRate: { target: 0.001, ceiling: 0.003 },
  hardBounceRate: { target: 0.02, ceiling: 0.05 },
  blockedRate: { target: 0.01, ceiling: 0.05 },
  unsubscribeSeconds: { target: 24 * 3600, ceiling: 48 * 3600 },
} as const;

const WORST: Record<HealthStatus, number> = { ok: 0, warning: 1, failing: 2 };

export function worst(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((a, b) => (WORST[b] > WORST[a] ? b : a), 'ok');
}

const percent = (rate: number) => `${(rate * 100).toFixed(rate < 0.01 ? 2 : 1)} %`;
const windowWords = { '24h': 'the last 24 hours', '7d': 'the last 7 days' } as const;

/** Mail that reached a receiving server's verdict (the denominator of bounce and block rates). */
function attempted(c: StatCounts): number {
  return c.delivered + c.bounced_hard + c.bounced_soft + c.blocked + c.failed;
}

function rated(check: string, window: '24h' | '7d', numerator: number, denominator: number, limits: { target: number; ceiling: number }, what: string, of: string, advice: string): HealthCheck {
  if (!denominator) return { check, window, status: 'ok', value: null, why: `no ${of} in ${windowWords[window]}` };
  const rate = numerator / denominator;
  const status: HealthStatus = rate >= limits.ceiling ? 'failing' : rate >= limits.target ? 'warning' : 'ok';
  const against = `keep it under ${percent(limits.target)}${status === 'ok' ? '' : `; at ${percent(limits.ceiling)} it fails`}`;
  return { check, window, status, value: rate, why: `${numerator} of ${denominator} ${of} ${what} in ${windowWords[window]} (${percent(rate)}): ${against}${status === 'ok' ? '' : `. ${advice}`}` };
}

export function complaintRate(window: '24h' | '7d', c: StatCounts): HealthCheck {
  return rated('complaint_rate', window, c.complained, c.delivered, HEALTH_LIMITS.complaintRate, 'were reported as spam', 'delivered messages',
    "Gmail's bulk-sender rules ask for under 0.1 % and stop delivering reliably at 0.3 %: send only to people who asked, and make unsubscribing easy");
}

export function hardBounceRate(window: '24h' | '7d', c: StatCounts): HealthCheck {
  return rated('hard_bounce_rate', window, c.bounced_hard, attempted(c), HEALTH_LIMITS.hardBounceRate, 'bounced hard (no such mailbox)', 'messages attempted',
    'clean the list: old or bought addresses bounce, and providers read many bounces as spamming');
}

export function blockedRate(window: '24h' | '7d', c: StatCounts): HealthCheck {
  return rated('blocked_rate', window, c.blocked, attempted(c), HEALTH_LIMITS.blockedRate, 'were refused for policy or reputation', 'messages attempted',
    'see /v1/stats/bounces for which providers block and why (block lists, DMARC, reputation)');
}

export function unsubscribeTime(seconds: number, unsubscribes: number): HealthCheck {
  if (!unsubscribes) return { check: 'unsubscribe_time', window: '7d', status: 'ok', value: null, why: 'no unsubscribes in the last 7 days' };
  const { target, ceiling } = HEALTH_LIMITS.unsubscribeSeconds;
  const status: HealthStatus = seconds > ceiling ? 'failing' : seconds > target ? 'warning' : 'ok';
  const hours = (seconds / 3600).toFixed(seconds < 3600 ? 2 : 0);
  return { check: 'unsubscribe_time', window: '7d', status, value: seconds, why: `the slowest of ${unsubscribes} unsubscribes took ${hours} h to apply; Gmail and Yahoo require 48 hours at most` };
}

export function oneClickUnsubscribe(broadcast: number, oneClick: number): HealthCheck {
  if (!broadcast) return { check: 'one_click_unsubscribe', window: '7d', status: 'ok', value: null, why: 'no broadcast mail in the last 7 days' };
  const missing = broadcast - oneClick;
  if (missing <= 0) return { check: 'one_click_unsubscribe', window: '7d', status: 'ok', value: true, why: `all ${broadcast} broadcast messages carried List-Unsubscribe with List-Unsubscribe-Post: One-Click (RFC 8058)` };
  return {
    check: 'one_click_unsubscribe',
    window: '7d',
    status: 'failing',
    value: false,
    why: `${missing} of ${broadcast} broadcast messages had no one-click unsubscribe (RFC 8058), which Gmail and Yahoo require of bulk mail; send broadcast mail through campaigns or with stream "broadcast"`,
  };
}

export interface DomainAuth {
  name: string;
  returnPathDomain: string;
  dkimVerified: boolean;
  spfVerified: boolean;
  returnPathVerified: boolean;
  dmarcVerified: boolean;
  lastCheckedAt: Date | null;
}

/** DKIM, SPF and DMARC as the domain's last verification found them, and whether each aligns with From. */
export function authentication(domain: DomainAuth, now: Date): HealthCheck[] {
  const stale = !domain.lastCheckedAt || now.getTime() - domain.lastCheckedAt.getTime() > 7 * 24 * 3600_000;
  const checked = domain.lastCheckedAt ? `checked ${domain.lastCheckedAt.toISOString()}` : 'never checked';
  const fresh = (ok: boolean, okWhy: string, badWhy: string): Pick<HealthCheck, 'status' | 'why'> =>
    ok ? { status: stale ? 'warning' : 'ok', why: `${okWhy} (${checked}${stale ? '; verify again: POST /v1/domains/:id/verify' : ''})` } : { status: 'failing', why: `${badWhy} (${checked})` };
  const aligned = domain.returnPathDomain.endsWith(`.${domain.name}`);
  return [
    {
      check: 'dkim',
      value: domain.dkimVerified,
      ...fresh(domain.dkimVerified, `DKIM key published; mail is signed d=${domain.name}, aligned with From`, `the DKIM record is not published: receivers cannot check the signature, and DMARC fails on DKIM`),
    },
    {
      check: 'spf',
      value: domain.spfVerified && domain.returnPathVerified && aligned,
      ...fresh(
        domain.spfVerified && domain.returnPathVerified && aligned,
        `SPF published for the return path ${domain.returnPathDomain}, aligned with From under relaxed alignment`,
        `SPF or the MX of the return path ${domain.returnPathDomain} is not published: bounces do not come back and SPF does not pass`,
      ),
    },
    {
      check: 'dmarc',
      value: domain.dmarcVerified,
      ...fresh(domain.dmarcVerified, `DMARC record published at _dmarc.${domain.name}`, `no DMARC record at _dmarc.${domain.name}: Gmail and Yahoo require one of bulk senders (p=none is enough to start)`),
    },
  ];
}
