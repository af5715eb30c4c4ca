import { Injectable } from '@nestjs/common';
import { Sql } from '../sql';

/** A (message, recipient domain) transaction a worker was asked to make. */
export interface DeliveryWork {
  messageId: string;
  domain: string;
}

export interface ClaimedRecipient {
  id: string;
  email: string;
  attempts: number;
  mxIndex: number;
  status: 'sending' | 'suppressed';
}

export interface ClaimedDelivery {
  messageId: string;
  accountId: string;
  domainId: string;
  fromDomain: string;
  returnPathDomain: string;
  stream: 'transactional' | 'broadcast';
  createdAt: Date;
  /** When it was scheduled for, if later than accepted: the retry window starts there. */
  sendAt: Date | null;
  /** The request that accepted the message: its deliveries log under it. */
  requestId: string | null;
  raw: Buffer;
  keys: Array<{ selector: string; algorithm: 'rsa' | 'ed25519'; privateKeyEncrypted: string }>;
  recipients: ClaimedRecipient[];
}

export type FinalStatus = 'delivered' | 'deferred' | 'bounced' | 'blocked' | 'failed';

export interface DeliveryOutcome {
  recipientId: string;
  status: FinalStatus;
  bounceType?: 'hard' | 'soft';
  code?: number;
  enhanced?: string;
  response?: string;
  mxHost?: string;
  nextAttemptAt?: Date;
  mxIndex?: number;
  /** What the timeline shows: the remote reply or our reason. */
  detail: string;
  /** Hard bounces put the address on the account's suppression list. */
  suppress: boolean;
  /** The recipient's attempt count when claimed: the result applies only to that claim. */
  attempt?: number;
}

export interface DueWork extends DeliveryWork {
  attempts: number;
  /** Set for queued work of a run: it goes back on the queue as that run. */
  runId: string | null;
  stream: 'transactional' | 'broadcast';
}

/**
 * A `sending` claim (of recipients `r`) whose worker is gone: its row in `workers` was deleted
 * when it stopped, or when its heartbeat lapsed. Claims from before workers had heartbeats
 * (claimed_by NULL) wait for the lease, as their worker may still be running.
 */
const ORPHANED = `(r.claimed_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = r.claimed_by))`;

/**
 * The worker's side of the message lifecycle. Every method takes many deliveries at once: the
 * worker funnels concurrent jobs through a group commit, so a hundred deliveries cost a handful
 * of statements.
 */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Marks the recipients of each work item `sending` (or `suppressed` when their address was
   * suppressed since it was accepted), records the event, and returns what is needed to sign and
   * send. Only recipients still waiting are taken (queued, deferred and due, or a `sending` claim
   * abandoned by a dead worker), so the same job run twice sends once. The claim belongs to
   * `workerId` (a row of `workers`): it stays that worker's while the row lives (its heartbeat),
   * and is free once the row is gone; DELIVERY_LEASE_SECONDS remains the backstop.
   */
  async claim(work: DeliveryWork[], leaseSeconds: number, workerId: string): Promise<Array<ClaimedDelivery | null>> {
    // The same work twice in one batch (a retry job and a sweeper job, say) is claimed once and
    // handed to the first of them only; the other finds nothing to do.
    const firstOf = new Map<string, number>();
    work.forEach((w, i) => {
      if (!firstOf.has(`${w.messageId}|${w.domain}`)) firstOf.set(`${w.messageId}|${w.domain}`, i);
    });
    const claimed = await this.sql.query<{ id: string; message_id: string; domain: string; email: string; attempts: number; mx_index: number; status: 'sending' | 'suppressed' }>(
      `WITH work AS (SELECT * FROM unnest($1::uuid[], $2::text[]) AS w(message_id, domain)),
       claimed AS (
         UPDATE recipients r
            SET status = CASE WHEN EXISTS (SELECT 1 FROM suppressions s WHERE s.account_id = r.account_id AND s.email = lower(r.email))
                              THEN 'suppressed'::recipient_status ELSE 'sending'::recipient_status END,
                attempts = r.attempts + 1,
                claimed_by = $4,
                updated_at = now()
           FROM work
          WHERE r.message_id = work.message_id AND r.domain = work.domain
            AND (r.status = 'queued'
                 OR (r.status = 'deferred' AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= now() + interval '5 seconds'))
                 OR (r.status = 'sending' AND (r.updated_at < now() - make_interval(secs => $3) OR ${ORPHANED})))
          RETURNING r.id, r.message_id, r.account_id, r.domain, r.email, r.attempts, r.mx_index, r.status),
       events AS (
         INSERT INTO message_events (message_id, recipient_id, account_id, type, detail, data)
         SELECT message_id, id, account_id, status::text::event_type,
                CASE WHEN status = 'suppressed' THEN 'address was suppressed after the message was accepted; not attempted' END,
                jsonb_build_object('attempt', attempts)
           FROM claimed)
       SELECT id, message_id, domain, email, attempts, mx_index, status FROM claimed`,
      [work.map((w) => w.messageId), work.map((w) => w.domain), leaseSeconds, workerId],
    );
    if (!claimed.length) return work.map(() => null);

    const messageIds = [...new Set(claimed.map((c) => c.message_id))];
    const messages = await this.sql.query<{ id: string; account_id: string; domain_id: string; name: string; return_path_domain: string; stream: 'transactional' | 'broadcast'; created_at: Date; send_at: Date | null; request_id: string | null; raw: Buffer }>(
      `SELECT m.id, m.account_id, m.domain_id, d.name, d.return_path_domain, m.stream, m.created_at, m.send_at, m.request_id, m.raw
         FROM messages m JOIN domains d ON d.id = m.domain_id WHERE m.id = ANY($1::uuid[])`,
      [messageIds],
    );
    const keys = await this.sql.query<{ domain_id: string; selector: string; algorithm: 'rsa' | 'ed25519'; private_key_encrypted: string }>(
      `SELECT domain_id, selector, algorithm, private_key_encrypted FROM dkim_keys
        WHERE active AND domain_id = ANY($1::uuid[]) ORDER BY algorithm`,
      [[...new Set(messages.map((m) => m.domain_id))]],
    );
    const suppressedCount = claimed.filter((c) => c.status === 'suppressed');
    if (suppressedCount.length) await this.countSuppressed(suppressedCount.map((c) => c.id));

    const byMessage = new Map(messages.map((m) => [m.id, m]));
    return work.map((w, index) => {
      if (firstOf.get(`${w.messageId}|${w.domain}`) !== index) return null;
      const recipients = claimed.filter((c) => c.message_id === w.messageId && c.domain === w.domain);
      const message = byMessage.get(w.messageId);
      if (!recipients.length || !message) return null;
      return {
        messageId: message.id,
        accountId: message.account_id,
        domainId: message.domain_id,
        fromDomain: message.name,
        returnPathDomain: message.return_path_domain,
        stream: message.stream,
        createdAt: message.created_at,
        sendAt: message.send_at,
        requestId: message.request_id,
        raw: message.raw,
        keys: keys.filter((k) => k.domain_id === message.domain_id).map((k) => ({ selector: k.selector, algorithm: k.algorithm, privateKeyEncrypted: k.private_key_encrypted })),
        recipients: recipients.map((r) => ({ id: r.id, email: r.email, attempts: r.attempts, mxIndex: r.mx_index, status: r.status })),
      };
    });
  }

  /**
   * Records what happened to each recipient in one statement: status and last reply, the
   * timeline event, the suppression a hard bounce causes, and the day's counters. Only
   * recipients still `sending` are updated, so a late duplicate cannot overwrite a newer state.
   */
  async record(outcomes: DeliveryOutcome[]): Promise<void> {
    if (!outcomes.length) return;
    const col = <T>(pick: (o: DeliveryOutcome) => T) => outcomes.map(pick);
    await this.sql.query(
      `WITH o AS (
         SELECT * FROM unnest($1::uuid[], $2::recipient_status[], $3::bounce_type[], $4::int[], $5::text[], $6::text[], $7::text[],
                              $8::timestamptz[], $9::int[], $10::text[], $11::bool[], $12::int[])
           AS o(id, status, bounce_type, code, enhanced, response, mx_host, next_at, mx_index, detail, suppress, attempt)),
       upd AS (
         UPDATE recipients r
            SET status = o.status, bounce_type = o.bounce_type, last_code = o.code, last_enhanced = o.enhanced,
                last_response = o.response, last_mx_host = COALESCE(o.mx_host, r.last_mx_host), next_attempt_at = o.next_at,
                mx_index = COALESCE(o.mx_index, r.mx_index),
                delivered_at = CASE WHEN o.status = 'delivered' THEN now() ELSE r.delivered_at END, updated_at = now()
           FROM o
          -- The attempt is the claim's token: a worker whose lease ran out (and whose recipients were
          -- claimed again, attempts + 1) cannot overwrite the newer claim's result.
          WHERE r.id = o.id AND r.status = 'sending' AND (o.attempt IS NULL OR r.attempts = o.attempt)
          RETURNING r.id, r.message_id, r.account_id, r.email, r.contact_id, r.attempts, o.status, o.bounce_type, o.code, o.enhanced, o.mx_host, o.detail, o.suppress, o.next_at),
       events AS (
         INSERT INTO message_events (message_id, recipient_id, account_id, type, detail, data)
         SELECT message_id, id, account_id, status::text::event_type, detail,
                jsonb_strip_nulls(jsonb_build_object('code', code, 'enhanced', enhanced, 'mx', mx_host, 'bounce_type', bounce_type,
                                                     'attempt', attempts, 'next_attempt_at', next_at))
           FROM upd),
       suppressed AS (
         INSERT INTO suppressions (account_id, email, reason, detail, message_id)
         SELECT DISTINCT ON (account_id, lower(email)) account_id, lower(email), 'hard_bounce', detail, message_id
           FROM upd WHERE suppress
         ON CONFLICT (account_id, email) DO NOTHING),
       -- The contact a hard bounce reached is bounced: the one campaign mail names, or the
       -- account's contact with that address (API mail).
       contacts_bounced AS (
         UPDATE contacts c SET status = 'bounced', updated_at = now()
          WHERE c.status = 'active' AND c.id IN (
                SELECT contact_id FROM upd WHERE suppress AND contact_id IS NOT NULL
                UNION
                SELECT c2.id FROM upd JOIN contacts c2 ON c2.account_id = upd.account_id AND c2.email = lower(upd.email) WHERE upd.suppress)),
       counts AS (
         SELECT upd.account_id, m.stream, COALESCE(m.campaign_id::text, '') AS campaign_id,
                count(*) FILTER (WHERE upd.status = 'delivered') AS delivered,
                count(*) FILTER (WHERE upd.status = 'deferred') AS deferred,
                count(*) FILTER (WHERE upd.status = 'bounced' AND upd.bounce_type = 'hard') AS bounced_hard,
                count(*) FILTER (WHERE upd.status = 'bounced' AND upd.bounce_type IS DISTINCT FROM 'hard') AS bounced_soft,
                count(*) FILTER (WHERE upd.status = 'blocked') AS blocked,
                count(*) FILTER (WHERE upd.status = 'failed') AS failed
           FROM upd JOIN messages m ON m.id = upd.message_id
          GROUP BY 1, 2, 3)
       INSERT INTO daily_stats (account_id, day, stream, campaign_id, delivered, deferred, bounced_hard, bounced_soft, blocked, failed)
       SELECT account_id, (now() AT TIME ZONE 'UTC')::date, stream, campaign_id, delivered, deferred, bounced_hard, bounced_soft, blocked, failed
         FROM counts ORDER BY account_id, stream, campaign_id
       ON CONFLICT (account_id, day, stream, campaign_id) DO UPDATE SET
         delivered = daily_stats.delivered + EXCLUDED.delivered, deferred = daily_stats.deferred + EXCLUDED.deferred,
         bounced_hard = daily_stats.bounced_hard + EXCLUDED.bounced_hard, bounced_soft = daily_stats.bounced_soft + EXCLUDED.bounced_soft,
         blocked = daily_stats.blocked + EXCLUDED.blocked, failed = daily_stats.failed + EXCLUDED.failed`,
      [
        col((o) => o.recipientId),
        col((o) => o.status),
        col((o) => o.bounceType ?? null),
        col((o) => o.code ?? null),
        col((o) => o.enhanced ?? null),
        col((o) => (o.response === undefined ? null : printable(o.response))),
        col((o) => o.mxHost ?? null),
        col((o) => o.nextAttemptAt ?? null),
        col((o) => o.mxIndex ?? null),
        col((o) => printable(o.detail)),
        col((o) => o.suppress),
        col((o) => o.attempt ?? null),
      ],
    );
  }

  /**
   * Work that should be on the queue but may not be (Redis flushed or restarted, a worker
   * killed, an enqueue that failed): recipients queued for a while, deferred and due, or claimed
   * long ago and never recorded. Re-enqueuing is safe: job ids dedupe live jobs (a recipient
   * queued in a run comes back as that run, under the run's id) and claim() takes each once.
   */
  async due(limit: number, graceSeconds: number, leaseSeconds: number): Promise<DueWork[]> {
    // Three sources, each oldest first and limited on its own, so a backlog of queued campaign
    // mail (still on the queue, most likely) cannot hide abandoned claims or due retries. The job
    // id takes the highest attempt count of the group, the one a retry job would carry; queued
    // work keeps its run.
    const rows = await this.sql.query<{ message_id: string; domain: string; attempts: number; run_id: string | null; stream: 'transactional' | 'broadcast' }>(
      `WITH due AS (
         (SELECT message_id, domain, attempts, NULL::uuid AS run_id FROM recipients r
           WHERE status = 'sending' AND (updated_at < now() - make_interval(secs => $3) OR ${ORPHANED})
           ORDER BY updated_at LIMIT $1)
         UNION ALL
         (SELECT message_id, domain, attempts, NULL::uuid FROM recipients
           WHERE status = 'deferred' AND next_attempt_at <= now() - make_interval(secs => $2)
           ORDER BY next_attempt_at LIMIT $1)
         UNION ALL
         (SELECT r.message_id, r.domain, r.attempts, r.run_id FROM recipients r JOIN messages m ON m.id = r.message_id
           WHERE r.status = 'queued' AND r.updated_at < now() - make_interval(secs => $2) AND (m.send_at IS NULL OR m.send_at <= now())
           ORDER BY r.updated_at LIMIT $1))
       SELECT d.message_id, d.domain, max(d.attempts)::int AS attempts, d.run_id, m.stream
         FROM due d JOIN messages m ON m.id = d.message_id
        GROUP BY d.message_id, d.domain, d.run_id, m.stream
        LIMIT $1`,
      [limit, graceSeconds, leaseSeconds],
    );
    return rows.map((r) => ({ messageId: r.message_id, domain: r.domain, attempts: r.attempts, runId: r.run_id, stream: r.stream }));
  }

  /**
   * The `sending` claims of the given workers (dead ones, or this one as it stops), as work to
   * enqueue again: a `deliver` job each, under the id a retry of that attempt would carry.
   */
  async claimsOf(workerIds: string[]): Promise<DueWork[]> {
    if (!workerIds.length) return [];
    const rows = await this.sql.query<{ message_id: string; domain: string; attempts: number; stream: 'transactional' | 'broadcast' }>(
      `SELECT r.message_id, r.domain, max(r.attempts)::int AS attempts, m.stream
         FROM recipients r JOIN messages m ON m.id = r.message_id
        WHERE r.status = 'sending' AND r.claimed_by = ANY($1::uuid[])
        GROUP BY r.message_id, r.domain, m.stream`,
      [workerIds],
    );
    return rows.map((r) => ({ messageId: r.message_id, domain: r.domain, attempts: r.attempts, runId: null, stream: r.stream }));
  }

  private async countSuppressed(recipientIds: string[]): Promise<void> {
    await this.sql.query(
      `INSERT INTO daily_stats (account_id, day, stream, campaign_id, suppressed)
       SELECT r.account_id, (now() AT TIME ZONE 'UTC')::date, m.stream, COALESCE(m.campaign_id::text, ''), count(*)
         FROM recipients r JOIN messages m ON m.id = r.message_id WHERE r.id = ANY($1::uuid[])
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 3, 4
       ON CONFLICT (account_id, day, stream, campaign_id) DO UPDATE SET suppressed = daily_stats.suppressed + EXCLUDED.suppressed`,
      [recipientIds],
    );
  }
}

/**
 * Remote replies are untrusted text: PostgreSQL refuses NUL in text, and control characters do no
 * good in a timeline. Anything but tab and line breaks becomes a space; length is capped.
 */
export function printable(text: string, max = 2000): string {
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ').slice(0, max);
}
