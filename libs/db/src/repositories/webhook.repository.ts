import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import { Sql } from '../sql';
import type { Webhook } from '../generated/client';

export type { Webhook };

export interface NewWebhook {
  id: string;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
  secretEncrypted: string;
}

export interface WebhookChanges {
  url?: string;
  events?: string[];
  description?: string;
  enabled?: boolean;
}

/** A delivery as the log shows it. */
export interface DeliveryLogRow {
  id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  last_response: string | null;
  last_duration_ms: number | null;
  created_at: Date;
  delivered_at: Date | null;
}

export interface AttemptLogRow {
  attempt: number;
  status_code: number | null;
  error: string | null;
  response: string | null;
  duration_ms: number;
  created_at: Date;
}

/** Webhook endpoints and their delivery log, as the API manages them; every method is scoped to the account. */
@Injectable()
export class WebhookRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: Sql,
  ) {}

  create(accountId: string, input: NewWebhook): Promise<Webhook> {
    return this.prisma.webhook.create({ data: { accountId, ...input } });
  }

  list(accountId: string): Promise<Webhook[]> {
    return this.prisma.webhook.findMany({ where: { accountId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  find(accountId: string, id: string): Promise<Webhook | null> {
    return this.prisma.webhook.findFirst({ where: { id, accountId } });
  }

  /** Enabling an endpoint again also forgets why it was disabled and how long it had failed. */
  async update(accountId: string, id: string, changes: WebhookChanges): Promise<Webhook | null> {
    const reenable = changes.enabled === true ? { disabledAt: null, disabledReason: null, failingSince: null } : {};
    const disable = changes.enabled === false ? { disabledAt: new Date(), disabledReason: 'disabled by the account' } : {};
    const { count } = await this.prisma.webhook.updateMany({ where: { id, accountId }, data: { ...changes, ...reenable, ...disable, updatedAt: new Date() } });
    return count ? this.find(accountId, id) : null;
  }

  async delete(accountId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.webhook.deleteMany({ where: { id, accountId } });
    return count > 0;
  }

  /** The new secret signs from now on; the current one keeps signing beside it until `previousExpiresAt`. */
  async rotate(accountId: string, id: string, secretEncrypted: string, previousExpiresAt: Date): Promise<Webhook | null> {
    const rows = await this.sql.query<{ id: string }>(
      `UPDATE webhooks SET previous_secret_encrypted = secret_encrypted, previous_secret_expires_at = $3, secret_encrypted = $4, updated_at = now()
        WHERE id = $1 AND account_id = $2 RETURNING id`,
      [id, accountId, previousExpiresAt, secretEncrypted],
    );
    return rows.length ? this.find(accountId, id) : null;
  }

  /** Newest first; the cursor is the last delivery's id. */
  async deliveries(accountId: string, webhookId: string, filter: { status?: string; limit: number; cursor?: string }): Promise<{ data: DeliveryLogRow[]; next_cursor: string | null }> {
    const values: unknown[] = [accountId, webhookId];
    const where = ['account_id = $1', 'webhook_id = $2'];
    if (filter.status) {
      values.push(filter.status);
      where.push(`status = $${values.length}::webhook_delivery_status`);
    }
    if (filter.cursor) {
      values.push(filter.cursor);
      where.push(`(created_at, id) < (SELECT created_at, id FROM webhook_deliveries WHERE id = $${values.length}::uuid AND webhook_id = $2)`);
    }
    values.push(filter.limit + 1);
    const rows = await this.sql.query<DeliveryLogRow>(
      `SELECT id, event_id, event_type, status, attempts, CASE WHEN status = 'pending' THEN next_attempt_at END AS next_attempt_at,
              last_attempt_at, last_status_code, last_error, last_response, last_duration_ms, created_at, delivered_at
         FROM webhook_deliveries WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
      values,
    );
    const more = rows.length > filter.limit;
    const data = rows.slice(0, filter.limit);
    return { data, next_cursor: more ? data[data.length - 1]!.id : null };
  }

  /** One delivery with the payload sent and every attempt. */
  async delivery(accountId: string, webhookId: string, deliveryId: string): Promise<(DeliveryLogRow & { payload: unknown; attempt_log: AttemptLogRow[] }) | null> {
    const [row] = await this.sql.query<DeliveryLogRow & { payload: unknown }>(
      `SELECT d.id, d.event_id, d.event_type, d.status, d.attempts, CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at,
              d.last_attempt_at, d.last_status_code, d.last_error, d.last_response, d.last_duration_ms, d.created_at, d.delivered_at, e.payload
         FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
        WHERE d.id = $1 AND d.webhook_id = $2 AND d.account_id = $3`,
      [deliveryId, webhookId, accountId],
    );
    if (!row) return null;
    const attempts = await this.sql.query<AttemptLogRow>(
      'SELECT attempt, status_code, error, response, duration_ms, created_at FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id',
      [deliveryId],
    );
    return { ...row, attempt_log: attempts };
  }

  /**
   * Sends a finished delivery again: a new round of attempts starting now, under the same
   * webhook-id. 'pending' when it is still being tried (nothing changed), null when not found.
   */
  async replay(accountId: string, webhookId: string, deliveryId: string): Promise<'replayed' | 'pending' | null> {
    const [row] = await this.sql.query<{ replayed: boolean }>(
      `WITH d AS (SELECT id, status FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2 AND account_id = $3),
       upd AS (UPDATE webhook_deliveries w SET ${RESTART} FROM d WHERE w.id = d.id AND d.status <> 'pending' RETURNING w.id),
       notified AS (SELECT pg_notify('mailroom_webhooks', '') FROM upd)
       SELECT EXISTS (SELECT 1 FROM upd) AS replayed FROM d, (SELECT count(*) FROM notified) n`,
      [deliveryId, webhookId, accountId],
    );
    if (!row) return null;
    return row.replayed ? 'replayed' : 'pending';
  }

  /** Sends again every failed delivery of the endpoint created since `since`; returns how many. */
  async replayFailed(accountId: string, webhookId: string, since: Date, until?: Date): Promise<number> {
    const rows = await this.sql.query<{ n: number }>(
      `WITH upd AS (
         UPDATE webhook_deliveries SET ${RESTART}
          WHERE webhook_id = $1 AND account_id = $2 AND status = 'failed' AND created_at >= $3 AND ($4::timestamptz IS NULL OR created_at < $4)
          RETURNING 1),
       notified AS (SELECT pg_notify('mailroom_webhooks', '') FROM (SELECT 1 FROM upd LIMIT 1) u)
       SELECT (SELECT count(*)::int FROM upd) AS n FROM (SELECT count(*) FROM notified) x`,
      [webhookId, accountId, since, until ?? null],
    );
    return rows[0]?.n ?? 0;
  }

  /** Where an account's notices go: its own address, else its owners' (dashboard users). */
  async noticeAddresses(accountId: string): Promise<string[]> {
    const rows = await this.sql.query<{ email: string }>(
      `SELECT email FROM accounts WHERE id = $1 AND email IS NOT NULL
       UNION ALL
       SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.account_id = $1 AND m.role = 'owner' AND NOT EXISTS (SELECT 1 FROM accounts WHERE id = $1 AND email IS NOT NULL)`,
      [accountId],
    );
    return [...new Set(rows.map((r) => r.email))];
  }
}

/** A new round of attempts, due now, not on the queue yet. */
const RESTART = `status = 'pending', attempts = 0, next_attempt_at = now(), queued_at = NULL, locked_until = NULL, delivered_at = NULL`;
