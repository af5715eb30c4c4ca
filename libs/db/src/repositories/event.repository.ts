import { Injectable } from '@nestjs/common';
import { Sql, type Tx } from '../sql';

/** An event to write: its type ("message.delivered") and the `data` of its payload. */
export interface NewEvent {
  accountId: string;
  type: string;
  data: Record<string, unknown>;
}

export interface StoredEvent {
  id: string;
  type: string;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
  created_at: Date;
}

/**
 * The outbox. Events are written by mailroom_emit_events() (migration 20261130240000) in the
 * caller's transaction: the event, when an enabled endpoint of the account subscribes to its
 * type (or always, for account notices), and a pending delivery per subscribed endpoint. Most
 * events are written that way by triggers on the tables whose changes they report; this is the
 * door for events no table change carries (mail filed into a mailbox, an endpoint disabled).
 */
@Injectable()
export class EventRepository {
  constructor(private readonly sql: Sql) {}

  /** Writes the events in `tx` (the change's own transaction); returns how many were stored. */
  async emit(tx: Tx, events: NewEvent[], options: { always?: boolean } = {}): Promise<number> {
    if (!events.length) return 0;
    const { rows } = await tx.query<{ n: number }>('SELECT mailroom_emit_events($1::uuid[], $2::text[], $3::jsonb[], $4) AS n', [
      events.map((e) => e.accountId),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data)),
      options.always ?? false,
    ]);
    return rows[0]?.n ?? 0;
  }

  /**
   * An event for the account that owns each mailbox (the inbound MTA knows the mailbox, not the
   * account), all by one statement; a mailbox deleted meanwhile gets none. Returns how many were
   * stored.
   */
  async emitForMailboxes(tx: Tx, events: ReadonlyArray<{ mailboxId: string; type: string; data: Record<string, unknown> }>): Promise<number> {
    if (!events.length) return 0;
    const { rows } = await tx.query<{ n: number }>(
      `SELECT mailroom_emit_events(array_agg(m.account_id ORDER BY e.ord), array_agg(e.type ORDER BY e.ord), array_agg(e.data ORDER BY e.ord)) AS n
         FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) WITH ORDINALITY AS e(mailbox_id, type, data, ord)
         JOIN mailboxes m ON m.id = e.mailbox_id`,
      [events.map((e) => e.mailboxId), events.map((e) => e.type), events.map((e) => JSON.stringify(e.data))],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * A test event for one endpoint only (whatever it subscribes to): the event and its delivery,
   * or null when the endpoint is not the account's.
   */
  async emitTest(accountId: string, webhookId: string, type: string, data: Record<string, unknown>): Promise<{ eventId: string; deliveryId: string } | null> {
    const rows = await this.sql.query<{ event_id: string; delivery_id: string }>(
      `WITH hook AS (SELECT id FROM webhooks WHERE id = $1 AND account_id = $2),
       ev AS (
         INSERT INTO events (account_id, type, payload)
         SELECT $2, $3, jsonb_build_object('type', $3::text, 'timestamp', mailroom_event_time(now()), 'data', $4::jsonb) FROM hook
         RETURNING id),
       d AS (
         INSERT INTO webhook_deliveries (webhook_id, account_id, event_id, event_type)
         SELECT hook.id, $2, ev.id, $3 FROM hook, ev
         RETURNING event_id, id AS delivery_id),
       -- Wakes the workers' pumps on commit (see mailroom_emit_events).
       notified AS (SELECT pg_notify('mailroom_webhooks', '') FROM d)
       SELECT event_id, delivery_id FROM d, (SELECT count(*) FROM notified) n`,
      [webhookId, accountId, type, JSON.stringify(data)],
    );
    return rows[0] ? { eventId: rows[0].event_id, deliveryId: rows[0].delivery_id } : null;
  }

  /** Newest first; the cursor is the last event's id. */
  async list(accountId: string, filter: { type?: string; since?: Date; until?: Date; limit: number; cursor?: string }): Promise<{ data: StoredEvent[]; next_cursor: string | null }> {
    const values: unknown[] = [accountId];
    const where = ['account_id = $1'];
    const add = (value: unknown, clause: (p: string) => string) => {
      values.push(value);
      where.push(clause(`$${values.length}`));
    };
    if (filter.type) add(filter.type, (p) => `type = ${p}`);
    if (filter.since) add(filter.since, (p) => `created_at >= ${p}`);
    if (filter.until) add(filter.until, (p) => `created_at < ${p}`);
    if (filter.cursor) add(filter.cursor, (p) => `(created_at, id) < (SELECT created_at, id FROM events WHERE id = ${p}::uuid AND account_id = $1)`);
    values.push(filter.limit + 1);
    const rows = await this.sql.query<StoredEvent>(
      `SELECT id, type, payload, created_at FROM events WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
      values,
    );
    const more = rows.length > filter.limit;
    const data = rows.slice(0, filter.limit);
    return { data, next_cursor: more ? data[data.length - 1]!.id : null };
  }

  async find(accountId: string, eventId: string): Promise<StoredEvent | null> {
    const rows = await this.sql.query<StoredEvent>('SELECT id, type, payload, created_at FROM events WHERE id = $1 AND account_id = $2', [eventId, accountId]);
    return rows[0] ?? null;
  }

  /**
   * Deletes events older than `days` (their deliveries and attempt logs go with them), at most
   * `limit` at a time so that a large backlog never holds one long transaction. Events with a
   * delivery still pending stay until it ends.
   */
  async prune(days: number, limit = 10_000): Promise<number> {
    const rows = await this.sql.query<{ n: number }>(
      `WITH old AS (
         SELECT e.id FROM events e
          WHERE e.created_at < now() - make_interval(days => $1)
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
          ORDER BY e.created_at LIMIT $2),
       gone AS (DELETE FROM events e USING old WHERE e.id = old.id RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [days, limit],
    );
    return rows[0]?.n ?? 0;
  }
}
