import { Injectable } from '@nestjs/common';
import { Sql } from '../sql';

/** The counters of hourly_stats, in the order /v1/stats lists them. */
export const STAT_COUNTERS = [
  'accepted',
  'delivered',
  'deferred',
  'bounced_hard',
  'bounced_soft',
  'blocked',
  'failed',
  'complained',
  'suppressed',
  'opened',
  'clicked',
  'machine_opened',
  'machine_clicked',
  'unsubscribed',
] as const;

export type StatCounter = (typeof STAT_COUNTERS)[number];
export type StatCounts = Record<StatCounter, number>;

export interface StatsFilter {
  from: Date;
  to: Date;
  stream?: 'transactional' | 'broadcast';
  campaignId?: string;
  /** '' (or absent): every message. */
  tag?: string;
  /** Sending domains (ids of the account's domains). */
  domainIds?: string[];
}

export interface BounceFilter {
  /** First and last day, inclusive (UTC dates). */
  fromDay: string;
  toDay: string;
  domainIds?: string[];
}

export type BounceGrouping = 'enhanced' | 'recipient_domain' | 'mx_domain';

export interface BounceRow {
  kind: 'bounced' | 'blocked';
  key: string;
  count: number;
  hard: number;
  soft: number;
  sample: string;
}

/** One sending domain's counters over the last 24 hours and 7 days (health). */
export interface DomainWindowCounts {
  domainId: string;
  day: StatCounts & { unsubscribe_delay_max: number };
  week: StatCounts & { unsubscribe_delay_max: number; broadcast_accepted: number; one_click: number };
}

const sums = (where = '') => STAT_COUNTERS.map((c) => `COALESCE(sum(${c}) ${where ? `FILTER (WHERE ${where})` : ''}, 0)::float8 AS ${c}`).join(', ');

/**
 * Reads the rollups the triggers keep (hourly_stats, bounce_stats); never messages or
 * recipients. Every method is scoped to the account; the primary keys lead with it.
 */
@Injectable()
export class StatsRepository {
  constructor(private readonly sql: Sql) {}

  /** Counters per bucket (UTC hours or days), only buckets that have rows. */
  async series(accountId: string, granularity: 'hour' | 'day', filter: StatsFilter): Promise<Array<StatCounts & { bucket: Date }>> {
    const values: unknown[] = [accountId, filter.tag ?? '', filter.from, filter.to];
    const where = ['account_id = $1', 'tag = $2', 'hour >= $3', 'hour < $4'];
    if (filter.stream) {
      values.push(filter.stream);
      where.push(`stream = $${values.length}::message_stream`);
    }
    if (filter.campaignId) {
      values.push(filter.campaignId);
      where.push(`campaign_id = $${values.length}`);
    }
    if (filter.domainIds) {
      values.push(filter.domainIds);
      where.push(`domain_id = ANY($${values.length}::uuid[])`);
    }
    return this.sql.query<StatCounts & { bucket: Date }>(
      `SELECT date_trunc('${granularity === 'day' ? 'day' : 'hour'}', hour, 'UTC') AS bucket, ${sums()}
         FROM hourly_stats WHERE ${where.join(' AND ')}
        GROUP BY 1 ORDER BY 1`,
      values,
    );
  }

  /** The `limit` largest groups of bounces and of blocks by one grouping, biggest first. */
  async bounces(accountId: string, by: BounceGrouping, filter: BounceFilter, limit: number): Promise<BounceRow[]> {
    const values: unknown[] = [accountId, filter.fromDay, filter.toDay, limit];
    let domains = '';
    if (filter.domainIds) {
      values.push(filter.domainIds);
      domains = `AND domain_id = ANY($${values.length}::uuid[])`;
    }
    return this.sql.query<BounceRow>(
      `SELECT kind, key, count, hard, soft, sample FROM (
         SELECT kind, ${by} AS key, sum(count)::float8 AS count,
                COALESCE(sum(count) FILTER (WHERE bounce_type = 'hard'), 0)::float8 AS hard,
                COALESCE(sum(count) FILTER (WHERE bounce_type = 'soft'), 0)::float8 AS soft,
                max(sample) AS sample,
                row_number() OVER (PARTITION BY kind ORDER BY sum(count) DESC, ${by}) AS rank
           FROM bounce_stats
          WHERE account_id = $1 AND day >= $2::date AND day <= $3::date ${domains}
          GROUP BY kind, ${by}) ranked
        WHERE rank <= $4 ORDER BY kind, count DESC, key`,
      values,
    );
  }

  /** Totals of bounces and blocks (hard and soft apart) over the same days. */
  async bounceTotals(accountId: string, filter: BounceFilter): Promise<Array<{ kind: 'bounced' | 'blocked'; count: number; hard: number; soft: number }>> {
    const values: unknown[] = [accountId, filter.fromDay, filter.toDay];
    let domains = '';
    if (filter.domainIds) {
      values.push(filter.domainIds);
      domains = `AND domain_id = ANY($${values.length}::uuid[])`;
    }
    return this.sql.query(
      `SELECT kind, sum(count)::float8 AS count,
              COALESCE(sum(count) FILTER (WHERE bounce_type = 'hard'), 0)::float8 AS hard,
              COALESCE(sum(count) FILTER (WHERE bounce_type = 'soft'), 0)::float8 AS soft
         FROM bounce_stats WHERE account_id = $1 AND day >= $2::date AND day <= $3::date ${domains}
        GROUP BY kind`,
      values,
    );
  }

  /** Per sending domain, the counters of the last 24 hours and of the last 7 days. */
  async domainWindows(accountId: string, now: Date): Promise<DomainWindowCounts[]> {
    const day = new Date(now.getTime() - 24 * 3600_000);
    const week = new Date(now.getTime() - 7 * 24 * 3600_000);
    const rows = await this.sql.query<Record<string, number> & { domain_id: string }>(
      `SELECT domain_id,
              ${STAT_COUNTERS.map((c) => `COALESCE(sum(${c}) FILTER (WHERE hour >= $2), 0)::float8 AS day_${c}`).join(', ')},
              ${STAT_COUNTERS.map((c) => `COALESCE(sum(${c}), 0)::float8 AS week_${c}`).join(', ')},
              COALESCE(max(unsubscribe_delay_max) FILTER (WHERE hour >= $2), 0)::float8 AS day_unsubscribe_delay_max,
              COALESCE(max(unsubscribe_delay_max), 0)::float8 AS week_unsubscribe_delay_max,
              COALESCE(sum(accepted) FILTER (WHERE stream = 'broadcast'), 0)::float8 AS week_broadcast_accepted,
              COALESCE(sum(one_click) FILTER (WHERE stream = 'broadcast'), 0)::float8 AS week_one_click
         FROM hourly_stats
        -- hour >= the truncated start: the hour in progress 24 h (7 d) ago counts whole.
        WHERE account_id = $1 AND tag = '' AND hour >= date_trunc('hour', $3::timestamptz, 'UTC')
        GROUP BY domain_id`,
      [accountId, new Date(Math.floor(day.getTime() / 3600_000) * 3600_000), week],
    );
    return rows.map((r) => {
      const pick = (prefix: string) => Object.fromEntries(STAT_COUNTERS.map((c) => [c, r[`${prefix}_${c}`] ?? 0])) as StatCounts;
      return {
        domainId: r.domain_id,
        day: { ...pick('day'), unsubscribe_delay_max: r.day_unsubscribe_delay_max ?? 0 },
        week: { ...pick('week'), unsubscribe_delay_max: r.week_unsubscribe_delay_max ?? 0, broadcast_accepted: r.week_broadcast_accepted ?? 0, one_click: r.week_one_click ?? 0 },
      };
    });
  }

  /**
   * Seconds since the oldest recipient still owed a delivery attempt became due (0 when none):
   * queued (and not scheduled for later), or deferred and due. For /metrics, so bounded: deferred ones come from the
   * sweeper's index; queued ones have no index by age, so the oldest of the first 50,000 found
   * stands for them (exact unless more are queued at once).
   */
  async oldestDueDeliverySeconds(): Promise<number> {
    const [row] = await this.sql.query<{ age: number | null }>(
      `SELECT extract(epoch FROM now() - least(
                (SELECT min(greatest(q.updated_at, COALESCE(m.send_at, q.updated_at)))
                   FROM (SELECT updated_at, message_id FROM recipients WHERE status = 'queued' LIMIT 50000) q
                   JOIN messages m ON m.id = q.message_id WHERE m.send_at IS NULL OR m.send_at <= now()),
                (SELECT next_attempt_at FROM recipients WHERE status = 'deferred' AND next_attempt_at <= now() ORDER BY status, next_attempt_at LIMIT 1)))::float8 AS age`,
    );
    return Math.max(0, row?.age ?? 0);
  }
}
