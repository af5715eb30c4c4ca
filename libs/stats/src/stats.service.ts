import { Injectable } from '@nestjs/common';
import { DomainError, notFound } from '@mailroom/common';
import { DomainRepository, STAT_COUNTERS, StatsRepository, type BounceRow, type StatCounts } from '@mailroom/db';
import { authentication, blockedRate, complaintRate, hardBounceRate, oneClickUnsubscribe, unsubscribeTime, worst, type HealthCheck, type HealthStatus } from './health-rules';
import { providerOf } from './mailbox-providers';

export type Granularity = 'hour' | 'day';

export interface SeriesQuery {
  from?: Date;
  to?: Date;
  granularity: Granularity;
  stream?: 'transactional' | 'broadcast';
  campaignId?: string;
  tag?: string;
  /** A sending domain of the account, by name. */
  domain?: string;
}

export type BucketCounts = StatCounts & { bounced: number };

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Buckets one answer may hold: a month of hours, a bit over a year of days. */
const MAX_BUCKETS = { hour: 31 * 24, day: 400 } as const;
const DEFAULT_SPAN = { hour: DAY, day: 7 * DAY } as const;

const zero = (): StatCounts => Object.fromEntries(STAT_COUNTERS.map((c) => [c, 0])) as StatCounts;
const withBounced = (c: StatCounts): BucketCounts => ({ ...c, bounced: c.bounced_hard + c.bounced_soft });

/**
 * /v1/stats: counters over time, bounce reasons, and each sending domain's health, read from the
 * hourly and daily rollups the database keeps as events happen (never from messages), so an
 * answer costs the same with ten thousand recipients or ten million.
 */
@Injectable()
export class StatsService {
  constructor(
    private readonly stats: StatsRepository,
    private readonly domains: DomainRepository,
  ) {}

  async series(accountId: string, query: SeriesQuery, now = new Date()) {
    const size = query.granularity === 'hour' ? HOUR : DAY;
    const to = query.to ?? now;
    const from = query.from ?? new Date(to.getTime() - DEFAULT_SPAN[query.granularity]);
    if (from >= to) throw new DomainError('invalid', 'invalid_range', 'from must be before to');
    const start = Math.floor(from.getTime() / size) * size;
    const buckets = Math.ceil((to.getTime() - start) / size);
    if (buckets > MAX_BUCKETS[query.granularity]) {
      throw new DomainError('invalid', 'range_too_large', `at most ${MAX_BUCKETS[query.granularity]} ${query.granularity} buckets in one answer; ask for a shorter range or granularity=day`);
    }
    const domainIds = query.domain ? await this.domainIds(accountId, query.domain) : undefined;
    const rows = await this.stats.series(accountId, query.granularity, {
      from: new Date(start),
      to,
      stream: query.stream,
      campaignId: query.campaignId,
      tag: query.tag,
      domainIds,
    });
    const byStart = new Map(rows.map((r) => [r.bucket.getTime(), r]));
    const totals = zero();
    const series = Array.from({ length: buckets }, (_, i) => {
      const at = start + i * size;
      const row = byStart.get(at);
      const counts = zero();
      for (const c of STAT_COUNTERS) {
        counts[c] = row ? Number(row[c]) : 0;
        totals[c] += counts[c];
      }
      return { start: new Date(at).toISOString(), ...withBounced(counts) };
    });
    return {
      from: new Date(start).toISOString(),
      to: to.toISOString(),
      granularity: query.granularity,
      filters: { stream: query.stream ?? null, campaign_id: query.campaignId ?? null, tag: query.tag ?? null, domain: query.domain ?? null },
      totals: withBounced(totals),
      buckets: series,
    };
  }

  /** The top reasons, recipient domains and mailbox providers of bounces and of blocks, apart. */
  async bounces(accountId: string, query: { from?: Date; to?: Date; domain?: string; limit: number }, now = new Date()) {
    const to = query.to ?? now;
    const from = query.from ?? new Date(to.getTime() - 30 * DAY);
    if (from >= to) throw new DomainError('invalid', 'invalid_range', 'from must be before to');
    if (to.getTime() - from.getTime() > 400 * DAY) throw new DomainError('invalid', 'range_too_large', 'at most 400 days in one answer');
    const domainIds = query.domain ? await this.domainIds(accountId, query.domain) : undefined;
    const filter = { fromDay: from.toISOString().slice(0, 10), toDay: new Date(to.getTime() - 1).toISOString().slice(0, 10), domainIds };
    const [totals, codes, recipientDomains, mxDomains] = await Promise.all([
      this.stats.bounceTotals(accountId, filter),
      this.stats.bounces(accountId, 'enhanced', filter, query.limit),
      this.stats.bounces(accountId, 'recipient_domain', filter, query.limit),
      // Several MX domains make one provider: take enough to merge before cutting.
      this.stats.bounces(accountId, 'mx_domain', filter, 500),
    ]);
    const section = (kind: 'bounced' | 'blocked') => {
      const total = totals.find((t) => t.kind === kind);
      const of = (rows: BounceRow[]) => rows.filter((r) => r.kind === kind);
      return {
        total: total?.count ?? 0,
        ...(kind === 'bounced' ? { hard: total?.hard ?? 0, soft: total?.soft ?? 0 } : {}),
        by_code: of(codes).map((r) => ({ code: r.key || null, count: r.count, ...(kind === 'bounced' ? { hard: r.hard, soft: r.soft } : {}), sample: r.sample || null })),
        by_domain: of(recipientDomains).map((r) => ({ domain: r.key, count: r.count })),
        by_provider: byProvider(of(mxDomains), query.limit),
      };
    };
    return { from: from.toISOString(), to: to.toISOString(), domain: query.domain ?? null, bounced: section('bounced'), blocked: section('blocked') };
  }

  /** Per sending domain, over the last 24 hours and 7 days: each check ok, warning or failing, and why. */
  async health(accountId: string, now = new Date()) {
    const [domains, windows] = await Promise.all([this.domains.list(accountId), this.stats.domainWindows(accountId, now)]);
    const byDomain = new Map(windows.map((w) => [w.domainId, w]));
    return {
      generated_at: now.toISOString(),
      domains: domains.map((domain) => {
        const w = byDomain.get(domain.id);
        const day = w?.day ?? { ...zero(), unsubscribe_delay_max: 0 };
        const week = w?.week ?? { ...zero(), unsubscribe_delay_max: 0, broadcast_accepted: 0, one_click: 0 };
        const checks: HealthCheck[] = [
          complaintRate('24h', day),
          complaintRate('7d', week),
          hardBounceRate('24h', day),
          hardBounceRate('7d', week),
          blockedRate('24h', day),
          blockedRate('7d', week),
          unsubscribeTime(week.unsubscribe_delay_max, week.unsubscribed),
          ...authentication(domain, now),
          oneClickUnsubscribe(week.broadcast_accepted, week.one_click),
        ];
        const status: HealthStatus = worst(checks.map((c) => c.status));
        return {
          domain: domain.name,
          domain_id: domain.id,
          status,
          last_24h: { ...withBounced(day) },
          last_7d: { ...withBounced(week), broadcast: week.broadcast_accepted, one_click: week.one_click },
          checks,
        };
      }),
    };
  }

  private async domainIds(accountId: string, name: string): Promise<string[]> {
    const domain = await this.domains.findByName(accountId, name.toLowerCase());
    if (!domain) throw notFound('domain');
    return [domain.id];
  }
}

function byProvider(rows: BounceRow[], limit: number): Array<{ provider: string; count: number; mx_domains: string[] }> {
  const merged = new Map<string, { provider: string; count: number; mx_domains: string[] }>();
  for (const row of rows) {
    const provider = providerOf(row.key);
    const entry = merged.get(provider) ?? { provider, count: 0, mx_domains: [] };
    entry.count += row.count;
    if (row.key) entry.mx_domains.push(row.key);
    merged.set(provider, entry);
  }
  return [...merged.values()].sort((a, b) => b.count - a.count || a.provider.localeCompare(b.provider)).slice(0, limit);
}
