import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { PrismaService } from '../prisma.service';
import { Sql } from '../sql';
import type { MessageStream, RecipientKind } from '../generated/client';

export interface NewRecipient {
  id: string;
  email: string;
  /** Lower-case A-label domain, the delivery grouping key. */
  domain: string;
  kind: RecipientKind;
  suppressed: boolean;
  /** The delivery run it is queued in (the run's first message id), if it shares a job. */
  runId?: string | null;
  /** The newsletter contact it was sent to (campaign mail). */
  contactId?: string | null;
}

export interface NewMessage {
  id: string;
  domainId: string;
  campaignId: string | null;
  templateId: string | null;
  stream: MessageStream;
  source: 'api' | 'smtp' | 'campaign';
  fromAddress: string;
  subject: string;
  messageIdHeader: string;
  tags: string[];
  metadata: Record<string, unknown>;
  trackOpens: boolean;
  trackClicks: boolean;
  raw: Buffer;
  sendAt: Date | null;
  /** The API request or relay session that accepted it (currentRequestId()), for the logs. */
  requestId?: string | null;
  recipients: NewRecipient[];
}

export interface IdempotentAnswer {
  status: number;
  response: unknown;
}

/** Writes and reads messages with their recipients and timeline. */
@Injectable()
export class MessageRepository {
  constructor(
    private readonly sql: Sql,
    private readonly prisma: PrismaService,
  ) {}

  /**
   * Stores a batch of accepted messages in one transaction: messages, recipients, the
   * `queued`/`suppressed` events and the day's counters. Column arrays and unnest() make it
   * five statements whatever the batch size (the API's hot path).
   *
   * With an idempotency key, the answer is stored in the same transaction; when the key was
   * already used within 24 hours nothing is written and the first answer is returned instead.
   */
  /** The stored answer for an idempotency key used within 24 hours, if any. */
  async previousAnswer(accountId: string, key: string): Promise<IdempotentAnswer | null> {
    const rows = await this.sql.query<{ response: unknown; status: number }>(
      `SELECT response, status FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND created_at >= now() - interval '24 hours'`,
      [accountId, key],
    );
    return rows[0] ? { status: rows[0].status, response: rows[0].response } : null;
  }

  async accept(
    accountId: string,
    messages: NewMessage[],
    idempotency?: { key: string; answer: IdempotentAnswer },
  ): Promise<{ stored: true } | { stored: false; previous: IdempotentAnswer }> {
    return this.sql.transaction(async (client) => {
      if (idempotency) {
        const previous = await claimIdempotencyKey(client, accountId, idempotency.key, idempotency.answer);
        if (previous) return { stored: false, previous };
      }
      if (messages.length) await insertMessages(client, accountId, messages);
      return { stored: true };
    });
  }

  /**
   * Which of these (lower-cased) addresses are not to be sent to on this stream: on the account's
   * suppression list (an `unsubscribe` suppression holds broadcast mail only) and, for broadcast
   * mail, contacts of the account that are not active (unsubscribed, bounced, complained).
   */
  async suppressed(accountId: string, emails: string[], stream: MessageStream = 'broadcast'): Promise<Set<string>> {
    if (!emails.length) return new Set();
    const rows = await this.sql.query<{ email: string }>(
      `SELECT email FROM suppressions WHERE account_id = $1 AND email = ANY($2::text[]) AND ($3 OR reason <> 'unsubscribe')
       UNION
       SELECT email FROM contacts WHERE $3 AND account_id = $1 AND email = ANY($2::text[]) AND status <> 'active'`,
      [accountId, emails, stream === 'broadcast'],
    );
    return new Set(rows.map((r) => r.email));
  }

  find(accountId: string, messageId: string) {
    return this.prisma.message.findFirst({
      where: { id: messageId, accountId },
      omit: { raw: true },
      include: {
        recipients: { orderBy: { email: 'asc' } },
        events: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
      },
    });
  }

  /** Newest first; the cursor is the last message's id (keyset paging on created_at, id). */
  async list(accountId: string, filter: { status?: string; recipient?: string; tag?: string; stream?: string; from?: string; to?: string; limit: number; cursor?: string }) {
    const values: unknown[] = [accountId];
    const where = ['m.account_id = $1'];
    if (filter.stream) {
      values.push(filter.stream);
      where.push(`m.stream = $${values.length}::message_stream`);
    }
    // A time range narrows the (account_id, created_at, id) index scan itself.
    if (filter.from) {
      values.push(filter.from);
      where.push(`m.created_at >= $${values.length}::timestamptz`);
    }
    if (filter.to) {
      values.push(filter.to);
      where.push(`m.created_at < $${values.length}::timestamptz`);
    }
    if (filter.cursor) {
      values.push(filter.cursor);
      where.push(`(m.created_at, m.id) < (SELECT created_at, id FROM messages WHERE id = $${values.length} AND account_id = $1)`);
    }
    if (filter.tag) {
      values.push(filter.tag);
      where.push(`$${values.length} = ANY(m.tags)`);
    }
    if (filter.recipient) {
      // By the (account_id, email) index: the address as given, in lower case, and with its
      // domain in lower case. (lower(email) = … would read every recipient of the account: 15 s
      // over a million of them.)
      const given = filter.recipient.trim();
      const at = given.lastIndexOf('@');
      const variants = [...new Set([given, given.toLowerCase(), at > 0 ? given.slice(0, at) + given.slice(at).toLowerCase() : given])];
      values.push(variants);
      const emails = values.length;
      let status = '';
      if (filter.status) {
        values.push(filter.status);
        status = ` AND r.status = $${values.length}::recipient_status`;
      }
      where.push(`m.id IN (SELECT r.message_id FROM recipients r WHERE r.account_id = $1 AND r.email = ANY($${emails}::text[])${status})`);
    } else if (filter.status) {
      values.push(filter.status);
      where.push(`EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.status = $${values.length}::recipient_status)`);
    }
    values.push(filter.limit + 1);
    const rows = await this.sql.query<MessageSummaryRow>(
      `SELECT m.id, m.stream, m.from_address, m.subject, m.tags, m.created_at, m.send_at, m.message_id_header,
              (SELECT json_agg(json_build_object('email', r.email, 'status', r.status) ORDER BY r.email) FROM recipients r WHERE r.message_id = m.id) AS recipients
         FROM messages m WHERE ${where.join(' AND ')}
        ORDER BY m.created_at DESC, m.id DESC LIMIT $${values.length}`,
      values,
    );
    const more = rows.length > filter.limit;
    const page = rows.slice(0, filter.limit);
    return { data: page, next_cursor: more ? page[page.length - 1].id : null };
  }
}

export interface MessageSummaryRow {
  id: string;
  stream: string;
  from_address: string;
  subject: string;
  tags: string[];
  created_at: Date;
  send_at: Date | null;
  message_id_header: string;
  recipients: Array<{ email: string; status: string }>;
}

async function claimIdempotencyKey(client: PoolClient, accountId: string, key: string, answer: IdempotentAnswer): Promise<IdempotentAnswer | null> {
  // Concurrent requests with the same key wait on the primary key here until the first commits.
  const inserted = await client.query(
    `INSERT INTO idempotency_keys (account_id, key, response, status) VALUES ($1, $2, $3, $4)
     ON CONFLICT (account_id, key) DO UPDATE SET response = EXCLUDED.response, status = EXCLUDED.status, created_at = now()
       WHERE idempotency_keys.created_at < now() - interval '24 hours'
     RETURNING 1`,
    [accountId, key, JSON.stringify(answer.response), answer.status],
  );
  if (inserted.rowCount) return null;
  const { rows } = await client.query<{ response: unknown; status: number }>(
    'SELECT response, status FROM idempotency_keys WHERE account_id = $1 AND key = $2',
    [accountId, key],
  );
  return { status: rows[0].status, response: rows[0].response };
}

/**
 * The inserts of `accept`, inside a transaction of the caller's: the campaign dispatcher
 * materializes its batches through it, in the transaction that marks them dispatched.
 */
export async function insertMessages(client: PoolClient, accountId: string, messages: NewMessage[]): Promise<void> {
  const col = <T>(pick: (m: NewMessage) => T) => messages.map(pick);
  await client.query(
    `INSERT INTO messages (id, account_id, domain_id, campaign_id, template_id, stream, source, from_address, subject,
                           message_id_header, tags, metadata, track_opens, track_clicks, raw, size, send_at, request_id)
     SELECT m.id, $1, m.domain_id, m.campaign_id, m.template_id, m.stream, m.source, m.from_address, m.subject,
            m.message_id_header, ARRAY(SELECT jsonb_array_elements_text(m.tags)), m.metadata, m.track_opens, m.track_clicks,
            m.raw, length(m.raw), m.send_at, m.request_id
       FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::message_stream[], $7::message_source[], $8::text[],
                   $9::text[], $10::text[], $11::jsonb[], $12::jsonb[], $13::bool[], $14::bool[], $15::bytea[], $16::timestamptz[],
                   $17::text[])
         AS m(id, domain_id, campaign_id, template_id, stream, source, from_address, subject, message_id_header, tags,
              metadata, track_opens, track_clicks, raw, send_at, request_id)`,
    [
      accountId,
      col((m) => m.id),
      col((m) => m.domainId),
      col((m) => m.campaignId),
      col((m) => m.templateId),
      col((m) => m.stream),
      col((m) => m.source),
      col((m) => m.fromAddress),
      col((m) => m.subject),
      col((m) => m.messageIdHeader),
      col((m) => JSON.stringify(m.tags)),
      col((m) => JSON.stringify(m.metadata)),
      col((m) => m.trackOpens),
      col((m) => m.trackClicks),
      col((m) => m.raw),
      col((m) => m.sendAt),
      col((m) => m.requestId ?? null),
    ],
  );

  // The day's counters before the recipients: their insert (and the timeline's) fire triggers
  // that upsert hourly_stats, while a delivery's record() upserts daily_stats and then, through
  // the same triggers, hourly_stats. Taking daily_stats first here too keeps one lock order, so a
  // batch being stored and deliveries of the same campaign or account being recorded never
  // deadlock (a record lost to a deadlock is a message sent twice).
  const counters = new Map<string, { stream: string; campaignId: string; accepted: number; suppressed: number }>();
  for (const m of messages) {
    const key = `${m.stream}|${m.campaignId ?? ''}`;
    const c = counters.get(key) ?? { stream: m.stream, campaignId: m.campaignId ?? '', accepted: 0, suppressed: 0 };
    c.accepted += m.recipients.length;
    c.suppressed += m.recipients.filter((r) => r.suppressed).length;
    counters.set(key, c);
  }
  const list = [...counters.values()].sort((a, b) => `${a.stream}|${a.campaignId}`.localeCompare(`${b.stream}|${b.campaignId}`));
  await client.query(
    `INSERT INTO daily_stats (account_id, day, stream, campaign_id, accepted, suppressed)
     SELECT $1, (now() AT TIME ZONE 'UTC')::date, s.stream, s.campaign_id, s.accepted, s.suppressed
       FROM unnest($2::message_stream[], $3::text[], $4::int[], $5::int[]) AS s(stream, campaign_id, accepted, suppressed)
     ON CONFLICT (account_id, day, stream, campaign_id) DO UPDATE
       SET accepted = daily_stats.accepted + EXCLUDED.accepted, suppressed = daily_stats.suppressed + EXCLUDED.suppressed`,
    [accountId, list.map((c) => c.stream), list.map((c) => c.campaignId), list.map((c) => c.accepted), list.map((c) => c.suppressed)],
  );

  const recipients = messages.flatMap((m) => m.recipients.map((r) => ({ ...r, messageId: m.id, campaignId: m.campaignId })));
  await client.query(
    `INSERT INTO recipients (id, message_id, account_id, email, domain, kind, status, run_id, contact_id, campaign_id)
     SELECT r.id, r.message_id, $1, r.email, r.domain, r.kind, r.status, r.run_id, r.contact_id, r.campaign_id
       FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::recipient_kind[], $7::recipient_status[], $8::uuid[], $9::uuid[], $10::uuid[])
         AS r(id, message_id, email, domain, kind, status, run_id, contact_id, campaign_id)`,
    [
      accountId,
      recipients.map((r) => r.id),
      recipients.map((r) => r.messageId),
      recipients.map((r) => r.email),
      recipients.map((r) => r.domain),
      recipients.map((r) => r.kind),
      recipients.map((r) => (r.suppressed ? 'suppressed' : 'queued')),
      recipients.map((r) => r.runId ?? null),
      recipients.map((r) => r.contactId ?? null),
      recipients.map((r) => r.campaignId),
    ],
  );

  // The timeline: one `queued` per message, one `suppressed` per suppressed recipient.
  const suppressed = recipients.filter((r) => r.suppressed);
  await client.query(
    `INSERT INTO message_events (message_id, recipient_id, account_id, type, detail)
     SELECT e.message_id, e.recipient_id, $1, e.type, e.detail
       FROM unnest($2::uuid[], $3::uuid[], $4::event_type[], $5::text[]) AS e(message_id, recipient_id, type, detail)`,
    [
      accountId,
      [...messages.map((m) => m.id), ...suppressed.map((r) => r.messageId)],
      [...messages.map(() => null), ...suppressed.map((r) => r.id)],
      [...messages.map(() => 'queued'), ...suppressed.map(() => 'suppressed')],
      [...messages.map((m) => (m.sendAt && m.sendAt > new Date() ? `scheduled for ${m.sendAt.toISOString()}` : null)), ...suppressed.map(() => 'address is on the suppression list; not attempted')],
    ],
  );
}
