import { Injectable } from '@nestjs/common';
import { Sql } from '../sql';

/** An open or click as the public endpoint saw it, before the recipient's delivery time is known. */
export interface EngagementEvent {
  recipientId: string;
  type: 'opened' | 'clicked';
  at: Date;
  ip: string | null;
  userAgent: string | null;
  url: string | null;
  /** Told apart at the edge: a HEAD request, a scanner's user agent, every link at once. */
  machine: boolean;
  reason: string | null;
}

/**
 * Opens and clicks as message_events (type opened/clicked, recipient_id set, data {ip, ua,
 * machine, reason, url}) written in batches, with the day's counters of people's first opens and
 * clicks per recipient (machines' are recorded, not counted there).
 */
@Injectable()
export class TrackingRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * One statement per batch. Besides what the edge saw, an event is a machine's when the mail was
   * not yet recorded as delivered or was delivered less than `afterDeliverySeconds` before: privacy
   * proxies and link scanners fetch on arrival, people do not read that fast. Events of recipients
   * that no longer exist are dropped.
   */
  async record(events: EngagementEvent[], afterDeliverySeconds: number): Promise<void> {
    if (!events.length) return;
    const col = <T>(pick: (e: EngagementEvent) => T) => events.map(pick);
    await this.sql.query(
      `WITH e AS (SELECT * FROM unnest($1::uuid[], $2::event_type[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::text[])
                    AS e(recipient_id, type, at, ip, ua, url, machine, reason)),
            j AS (SELECT e.*, r.message_id, r.account_id, m.stream, m.campaign_id,
                         CASE WHEN e.machine THEN e.reason
                              WHEN r.status IN ('queued', 'sending', 'deferred') THEN 'before_delivery'
                              WHEN e.at < r.delivered_at + make_interval(secs => $9) THEN 'soon_after_delivery' END AS why
                    FROM e JOIN recipients r ON r.id = e.recipient_id JOIN messages m ON m.id = r.message_id),
            ins AS (INSERT INTO message_events (message_id, recipient_id, account_id, type, detail, data, created_at)
                    SELECT message_id, recipient_id, account_id, type, url,
                           jsonb_build_object('ip', ip, 'ua', ua, 'machine', why IS NOT NULL, 'reason', why, 'url', url), at
                      FROM j
                 RETURNING 1),
            -- People's first open (click) of a recipient, against what was recorded before this batch.
            firsts AS (SELECT DISTINCT ON (j.recipient_id, j.type) j.* FROM j
                        WHERE j.why IS NULL
                          AND NOT EXISTS (SELECT 1 FROM message_events x
                                           WHERE x.message_id = j.message_id AND x.recipient_id = j.recipient_id
                                             AND x.type = j.type AND x.data->>'machine' = 'false'))
       INSERT INTO daily_stats (account_id, day, stream, campaign_id, opened, clicked)
       SELECT account_id, (at AT TIME ZONE 'UTC')::date, stream, COALESCE(campaign_id::text, ''),
              count(*) FILTER (WHERE type = 'opened'), count(*) FILTER (WHERE type = 'clicked')
         FROM firsts GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
       ON CONFLICT (account_id, day, stream, campaign_id) DO UPDATE
         SET opened = daily_stats.opened + EXCLUDED.opened, clicked = daily_stats.clicked + EXCLUDED.clicked`,
      [
        col((e) => e.recipientId),
        col((e) => e.type),
        col((e) => e.at),
        col((e) => e.ip),
        col((e) => e.userAgent),
        col((e) => e.url),
        col((e) => e.machine),
        col((e) => e.reason),
        afterDeliverySeconds,
      ],
    );
  }

  /**
   * A burst of clicks on every link of a message is a scanner's: the clicks of these recipients
   * in the last `seconds` that were taken for people's become machines', and the day's counter
   * gives back the recipients that have no person's click left.
   */
  async reclassifyClicks(recipientIds: string[], seconds: number): Promise<number> {
    if (!recipientIds.length) return 0;
    const rows = await this.sql.query<{ n: number }>(
      `WITH upd AS (UPDATE message_events e SET data = e.data || '{"machine": true, "reason": "all_links_at_once"}'::jsonb
                      FROM recipients r
                     WHERE r.id = ANY($1::uuid[]) AND e.message_id = r.message_id AND e.recipient_id = r.id
                       AND e.type = 'clicked' AND e.created_at >= now() - make_interval(secs => $2) AND e.data->>'machine' = 'false'
                 RETURNING e.id, e.message_id, e.recipient_id, e.account_id, e.created_at),
            lost AS (SELECT DISTINCT ON (upd.recipient_id) upd.* FROM upd
                      WHERE NOT EXISTS (SELECT 1 FROM message_events x
                                         WHERE x.message_id = upd.message_id AND x.recipient_id = upd.recipient_id AND x.type = 'clicked'
                                           AND x.data->>'machine' = 'false' AND x.id NOT IN (SELECT id FROM upd))
                      ORDER BY upd.recipient_id, upd.created_at),
            counted AS (SELECT lost.account_id, (lost.created_at AT TIME ZONE 'UTC')::date AS day, m.stream,
                               COALESCE(m.campaign_id::text, '') AS campaign_id, count(*)::int AS n
                          FROM lost JOIN messages m ON m.id = lost.message_id GROUP BY 1, 2, 3, 4),
            st AS (UPDATE daily_stats s SET clicked = greatest(s.clicked - c.n, 0) FROM counted c
                    WHERE s.account_id = c.account_id AND s.day = c.day AND s.stream = c.stream AND s.campaign_id = c.campaign_id
                RETURNING 1)
       SELECT (SELECT count(*) FROM upd)::int AS n`,
      [recipientIds, seconds],
    );
    return rows[0]?.n ?? 0;
  }
}
