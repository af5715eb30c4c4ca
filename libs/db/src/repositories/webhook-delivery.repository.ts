import { Injectable } from '@nestjs/common';
import { Sql, type Tx } from '../sql';

/** A delivery due now, to put on the queue. */
export interface DueWebhookDelivery {
  id: string;
  webhookId: string;
  attempts: number;
}

/** A delivery claimed for one attempt: what to send, where, and the secrets to sign it with. */
export interface ClaimedWebhookDelivery {
  id: string;
  webhookId: string;
  accountId: string;
  eventId: string;
  /** This attempt's number in the round; the record of its result must name it. */
  attempt: number;
  payload: { type: string; timestamp: string; data: unknown };
  url: string;
  enabled: boolean;
  secretEncrypted: string;
  /** Still signing beside the current secret after a rotation, until it expires. */
  previousSecretEncrypted: string | null;
}

export interface WebhookAttemptResult {
  id: string;
  attempt: number;
  /** succeeded: a 2xx; retry: try again at nextAttemptAt; failed: no more attempts. */
  outcome: 'succeeded' | 'retry' | 'failed';
  nextAttemptAt?: Date;
  statusCode?: number;
  error?: string;
  /** The first bytes of the answer. */
  response?: string;
  durationMs: number;
}

export interface DisabledWebhook {
  id: string;
  accountId: string;
  url: string;
  reason: string;
  failingSince: Date | null;
}

/**
 * The webhook workers' side: PostgreSQL holds every delivery's state (due when, queued when,
 * locked until), Redis only carries the work. Raw SQL over arrays: at thousands of deliveries a
 * second each statement takes a batch.
 */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Pending deliveries that are due and not on the queue: never queued, queued for an earlier
   * attempt, or queued longer ago than `requeueSeconds` (Redis lost the job, or a worker died
   * with it). Marks them queued now and returns them, oldest due first; a delivery in flight
   * (locked) is left alone. Concurrent callers take disjoint rows (SKIP LOCKED).
   */
  async takeDue(limit: number, requeueSeconds: number): Promise<DueWebhookDelivery[]> {
    const rows = await this.sql.query<{ id: string; webhook_id: string; attempts: number }>(
      `UPDATE webhook_deliveries d SET queued_at = now()
         FROM (SELECT id FROM webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at <= now()
                  AND (queued_at IS NULL OR queued_at < next_attempt_at OR queued_at < now() - make_interval(secs => $2))
                  AND (locked_until IS NULL OR locked_until < now())
                ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
        WHERE d.id = due.id
        RETURNING d.id, d.webhook_id, d.attempts`,
      [limit, requeueSeconds],
    );
    return rows.map((r) => ({ id: r.id, webhookId: r.webhook_id, attempts: r.attempts }));
  }

  /**
   * Takes deliveries for one attempt each: counts the attempt and locks the delivery for
   * `lockSeconds` (longer than an attempt can last). Only pending, due, unlocked deliveries are
   * taken, so a job that runs twice sends once.
   */
  async claim(ids: string[], lockSeconds: number): Promise<ClaimedWebhookDelivery[]> {
    if (!ids.length) return [];
    const rows = await this.sql.query<{
      id: string;
      webhook_id: string;
      account_id: string;
      event_id: string;
      attempts: number;
      payload: ClaimedWebhookDelivery['payload'];
      url: string;
      enabled: boolean;
      secret_encrypted: string;
      previous_secret_encrypted: string | null;
    }>(
      `UPDATE webhook_deliveries d SET attempts = d.attempts + 1, locked_until = now() + make_interval(secs => $2)
         FROM webhooks w, events e
        WHERE d.id = ANY($1::uuid[]) AND w.id = d.webhook_id AND e.id = d.event_id
          AND d.status = 'pending' AND d.next_attempt_at <= now() + interval '1 second'
          AND (d.locked_until IS NULL OR d.locked_until < now())
        RETURNING d.id, d.webhook_id, d.account_id, d.event_id, d.attempts, e.payload, w.url, w.enabled, w.secret_encrypted,
                  CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret_encrypted END AS previous_secret_encrypted`,
      [ids, lockSeconds],
    );
    return rows.map((r) => ({
      id: r.id,
      webhookId: r.webhook_id,
      accountId: r.account_id,
      eventId: r.event_id,
      attempt: r.attempts,
      payload: r.payload,
      url: r.url,
      enabled: r.enabled,
      secretEncrypted: r.secret_encrypted,
      previousSecretEncrypted: r.previous_secret_encrypted,
    }));
  }

  /**
   * Records attempts in one statement: each delivery's state and last answer, a row in the
   * attempt log, and the endpoint's failing_since (set by a failure after a success, cleared by
   * a success). A result applies only to the attempt it names, so a late duplicate changes nothing.
   */
  async record(results: WebhookAttemptResult[]): Promise<void> {
    if (!results.length) return;
    const col = <T>(pick: (r: WebhookAttemptResult) => T) => results.map(pick);
    await this.sql.query(
      `WITH r AS (
         SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::int[], $6::text[], $7::text[], $8::int[])
           AS r(id, attempt, outcome, next_at, code, error, response, duration)),
       upd AS (
         UPDATE webhook_deliveries d
            SET status = CASE r.outcome WHEN 'succeeded' THEN 'succeeded' WHEN 'failed' THEN 'failed' ELSE 'pending' END::webhook_delivery_status,
                next_attempt_at = COALESCE(r.next_at, d.next_attempt_at), locked_until = NULL, last_attempt_at = now(),
                last_status_code = r.code, last_error = r.error, last_response = r.response, last_duration_ms = r.duration,
                delivered_at = CASE WHEN r.outcome = 'succeeded' THEN now() ELSE d.delivered_at END
           FROM r
          WHERE d.id = r.id AND d.attempts = r.attempt AND d.status = 'pending'
          RETURNING d.id, d.webhook_id, d.account_id, r.attempt, r.outcome, r.code, r.error, r.response, r.duration),
       log AS (
         INSERT INTO webhook_attempts (delivery_id, webhook_id, account_id, attempt, status_code, error, response, duration_ms)
         SELECT id, webhook_id, account_id, attempt, code, error, response, duration FROM upd),
       health AS (SELECT webhook_id, bool_or(outcome = 'succeeded') AS ok FROM upd GROUP BY webhook_id),
       -- Endpoints whose failing state changes, locked in id order so that concurrent batches never deadlock.
       changing AS (
         SELECT w.id, health.ok FROM webhooks w JOIN health ON health.webhook_id = w.id
          WHERE (health.ok AND w.failing_since IS NOT NULL) OR (NOT health.ok AND w.failing_since IS NULL)
          ORDER BY w.id FOR UPDATE OF w)
       UPDATE webhooks w SET failing_since = CASE WHEN changing.ok THEN NULL ELSE now() END
         FROM changing WHERE w.id = changing.id`,
      [
        col((r) => r.id),
        col((r) => r.attempt),
        col((r) => r.outcome),
        col((r) => r.nextAttemptAt ?? null),
        col((r) => r.statusCode ?? null),
        col((r) => (r.error === undefined ? null : storable(r.error, 1000))),
        col((r) => (r.response === undefined ? null : storable(r.response, 1024))),
        col((r) => Math.round(r.durationMs)),
      ],
    );
  }

  /**
   * Disables endpoints in `tx`: those named (`gone`: they answered 410) and, with
   * `failingLongerThanHours`, every enabled endpoint of the given ones failing that long. Their
   * pending deliveries end as failed. Returns the endpoints disabled now.
   */
  async disable(tx: Tx, webhookIds: string[], reason: string, failingLongerThanHours?: number): Promise<DisabledWebhook[]> {
    if (!webhookIds.length) return [];
    const { rows } = await tx.query<{ id: string; account_id: string; url: string; disabled_reason: string; failing_since: Date | null }>(
      `UPDATE webhooks SET enabled = false, disabled_at = now(), disabled_reason = $2, updated_at = now()
        WHERE id = ANY($1::uuid[]) AND enabled
          AND ($3::float8 IS NULL OR failing_since < now() - make_interval(secs => $3::float8 * 3600))
        RETURNING id, account_id, url, disabled_reason, failing_since`,
      [webhookIds, reason, failingLongerThanHours ?? null],
    );
    if (rows.length) {
      await tx.query(
        `UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint disabled: ' || $2, queued_at = NULL
          WHERE webhook_id = ANY($1::uuid[]) AND status = 'pending' AND (locked_until IS NULL OR locked_until < now())`,
        [rows.map((r) => r.id), reason],
      );
    }
    return rows.map((r) => ({ id: r.id, accountId: r.account_id, url: r.url, reason: r.disabled_reason, failingSince: r.failing_since }));
  }

  /**
   * Calls `onNotify` whenever a transaction that wrote webhook deliveries commits (NOTIFY
   * mailroom_webhooks), over a connection of the pool kept for it. `lost` is called if that
   * connection breaks; listen again then.
   */
  async listen(onNotify: () => void, lost: (error: Error) => void): Promise<{ close(): Promise<void> }> {
    const client = await this.sql.pool.connect();
    let broken: Error | undefined;
    client.on('notification', onNotify);
    client.on('error', (error: Error) => {
      broken = error;
      lost(error);
    });
    try {
      await client.query('LISTEN mailroom_webhooks');
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    return {
      async close() {
        client.removeListener('notification', onNotify);
        if (!broken) await client.query('UNLISTEN mailroom_webhooks').catch((error: Error) => (broken = error));
        client.release(broken);
      },
    };
  }

  /** Seconds since the oldest due delivery not yet sent became due (0 when none): /metrics. */
  async oldestDueSeconds(): Promise<number> {
    const [row] = await this.sql.query<{ age: number | null }>(
      `SELECT extract(epoch FROM now() - min(next_attempt_at))::float8 AS age FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at <= now()`,
    );
    return Math.max(0, row?.age ?? 0);
  }
}

/** Text from an endpoint's answer: no NUL (PostgreSQL refuses it), bounded. */
function storable(text: string, max: number): string {
  return text.replace(/\u0000/g, ' ').slice(0, max);
}
