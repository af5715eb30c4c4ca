import { Injectable } from '@nestjs/common';
import { Sql } from '../sql';

export interface UnsubscribeRequest {
  accountId: string;
  contactId: string | null;
  /** Null: every list of the account, and the address joins the suppression list (broadcast only). */
  listId: string | null;
  recipientId: string | null;
  /** How it came: `one_click` (RFC 8058 POST), `page` (the confirm button), `mailto`, `preferences`. */
  via: string;
  ip?: string | null;
  userAgent?: string | null;
}

export interface UnsubscribeOutcome {
  /** Memberships that changed to unsubscribed just now. */
  lists: number;
  /** The contact left its last list and is `unsubscribed` now. */
  contactUnsubscribed: boolean;
  /** The address was added to the suppression list (reason `unsubscribe`). */
  suppressed: boolean;
  /** An `unsubscribed` event was recorded for the recipient (once per recipient). */
  recorded: boolean;
}

export interface ContactPreferences {
  email: string;
  status: string;
  lists: Array<{ id: string; name: string; description: string; status: string }>;
}

/** What a mailto unsubscribe address (which names only a recipient) speaks for. */
export interface RecipientUnsubscribeTarget {
  accountId: string;
  contactId: string | null;
  listId: string | null;
}

/**
 * Unsubscribes, scoped to the account a signed token names: every statement names account_id,
 * so a token of one account never reaches another's contacts, lists or recipients.
 */
@Injectable()
export class UnsubscribeRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * One statement, so one round trip and atomic: memberships (the token's list, or all), the
   * contact's status when it leaves its last list, the suppression (no list) and the
   * `unsubscribed` event (unique per recipient: a repeated POST records nothing twice), which the
   * events trigger counts in hourly_stats. No counter row is written here besides: all of a
   * campaign's unsubscribes would queue on that one row (the bench ran 59/s at 200 clients).
   * Sends re-check memberships, contact status and suppressions when they are materialized or
   * accepted, so this applies to every send after it.
   */
  async unsubscribe(u: UnsubscribeRequest): Promise<UnsubscribeOutcome> {
    const data = JSON.stringify({ via: u.via, list_id: u.listId, ip: u.ip ?? null, ua: u.userAgent?.slice(0, 500) ?? null, requested_at: new Date().toISOString() });
    const [row] = await this.sql.query<{ lists: number; contact_unsubscribed: boolean; suppressed: boolean; recorded: boolean }>(
      `WITH c AS (SELECT id, email FROM contacts WHERE id = $2::uuid AND account_id = $1::uuid),
            r AS (SELECT id, message_id, email FROM recipients WHERE id = $4::uuid AND account_id = $1::uuid),
            ms AS (UPDATE list_memberships m SET status = 'unsubscribed', unsubscribed_at = now()
                     FROM contact_lists l
                    WHERE m.contact_id = (SELECT id FROM c) AND l.id = m.list_id AND l.account_id = $1::uuid
                      AND ($3::uuid IS NULL OR m.list_id = $3::uuid) AND m.status <> 'unsubscribed'
                RETURNING m.list_id),
            -- Statements of one WITH see the same snapshot: the lists left just now are excluded by hand.
            cu AS (UPDATE contacts SET status = 'unsubscribed', updated_at = now()
                    WHERE id = (SELECT id FROM c) AND account_id = $1::uuid AND status = 'active'
                      AND NOT EXISTS (SELECT 1 FROM list_memberships x
                                       WHERE x.contact_id = (SELECT id FROM c) AND x.status IN ('subscribed', 'unconfirmed')
                                         AND x.list_id NOT IN (SELECT list_id FROM ms))
                RETURNING id),
            sup AS (INSERT INTO suppressions (account_id, email, reason, detail, message_id)
                    SELECT $1::uuid, lower(e.email), 'unsubscribe', $5, (SELECT message_id FROM r)
                      FROM (SELECT COALESCE((SELECT email FROM c), (SELECT email FROM r)) AS email) e
                     WHERE $3::uuid IS NULL AND e.email IS NOT NULL
                    ON CONFLICT (account_id, email) DO NOTHING
                 RETURNING email),
            ev AS (INSERT INTO message_events (message_id, recipient_id, account_id, type, detail, data)
                   SELECT r.message_id, r.id, $1::uuid, 'unsubscribed', $5, $6::jsonb FROM r
                   ON CONFLICT (recipient_id) WHERE type = 'unsubscribed' DO NOTHING
                RETURNING message_id)
       SELECT (SELECT count(*) FROM ms)::int AS lists, EXISTS (SELECT 1 FROM cu) AS contact_unsubscribed,
              EXISTS (SELECT 1 FROM sup) AS suppressed, EXISTS (SELECT 1 FROM ev) AS recorded`,
      [u.accountId, u.contactId, u.listId, u.recipientId, `unsubscribed (${u.via})`, data],
    );
    return { lists: row!.lists, contactUnsubscribed: row!.contact_unsubscribed, suppressed: row!.suppressed, recorded: row!.recorded };
  }

  /** The account, contact and list a recipient's mailto unsubscribe speaks for (list: the campaign's, if any). */
  async recipientTarget(recipientId: string): Promise<RecipientUnsubscribeTarget | null> {
    const [row] = await this.sql.query<{ account_id: string; contact_id: string | null; list_id: string | null }>(
      `SELECT r.account_id, r.contact_id, cr.list_id
         FROM recipients r JOIN messages m ON m.id = r.message_id
         LEFT JOIN campaign_recipients cr ON cr.campaign_id = m.campaign_id AND cr.contact_id = r.contact_id
        WHERE r.id = $1::uuid`,
      [recipientId],
    );
    return row ? { accountId: row.account_id, contactId: row.contact_id, listId: row.list_id } : null;
  }

  /** The contact's address and the account's lists it is or was on (never lists it never joined). */
  async preferences(accountId: string, contactId: string): Promise<ContactPreferences | null> {
    const rows = await this.sql.query<{ email: string; status: string; list_id: string | null; name: string | null; description: string | null; membership: string | null }>(
      `SELECT c.email, c.status, l.id AS list_id, l.name, l.description, m.status AS membership
         FROM contacts c
         LEFT JOIN list_memberships m ON m.contact_id = c.id
         LEFT JOIN contact_lists l ON l.id = m.list_id AND l.account_id = c.account_id
        WHERE c.id = $2::uuid AND c.account_id = $1::uuid AND c.erased_at IS NULL
        ORDER BY l.name, l.id`,
      [accountId, contactId],
    );
    if (!rows.length) return null;
    return {
      email: rows[0]!.email,
      status: rows[0]!.status,
      lists: rows.filter((r) => r.list_id && r.name !== null).map((r) => ({ id: r.list_id!, name: r.name!, description: r.description ?? '', status: r.membership! })),
    };
  }

  /**
   * The preferences form: the contact stays on (or comes back to) the lists in `keep` and leaves
   * the others it is on. Coming back is the contact's own choice on its own page, so a list it
   * had left is `subscribed` again and an `unsubscribe` suppression of its address is lifted; a
   * bounced or complained contact stays so. Returns how many lists it left.
   */
  async setPreferences(accountId: string, contactId: string, keep: string[]): Promise<{ left: number; kept: number } | null> {
    return this.sql.transaction(async (client) => {
      const contact = await client.query<{ email: string; status: string }>(
        'SELECT email, status FROM contacts WHERE id = $2::uuid AND account_id = $1::uuid AND erased_at IS NULL FOR UPDATE',
        [accountId, contactId],
      );
      if (!contact.rows[0]) return null;
      const changed = await client.query<{ kept: boolean }>(
        `UPDATE list_memberships m
            SET status = CASE WHEN m.list_id = ANY($3::uuid[]) THEN (CASE WHEN m.status = 'unconfirmed' THEN 'unconfirmed' ELSE 'subscribed' END)::membership_status
                              ELSE 'unsubscribed'::membership_status END,
                unsubscribed_at = CASE WHEN m.list_id = ANY($3::uuid[]) THEN NULL ELSE now() END,
                subscribed_at = CASE WHEN m.list_id = ANY($3::uuid[]) AND m.status = 'unsubscribed' THEN now() ELSE m.subscribed_at END
           FROM contact_lists l
          WHERE m.contact_id = $2::uuid AND l.id = m.list_id AND l.account_id = $1::uuid
            AND (m.list_id = ANY($3::uuid[])) = (m.status = 'unsubscribed')
      RETURNING m.list_id = ANY($3::uuid[]) AS kept`,
        [accountId, contactId, keep],
      );
      const active = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM list_memberships m JOIN contact_lists l ON l.id = m.list_id AND l.account_id = $1::uuid
          WHERE m.contact_id = $2::uuid AND m.status IN ('subscribed', 'unconfirmed')`,
        [accountId, contactId],
      );
      const staying = active.rows[0]!.n > 0;
      await client.query(
        `UPDATE contacts SET status = $3::contact_status, updated_at = now()
          WHERE id = $2::uuid AND account_id = $1::uuid AND status IN ('active', 'unsubscribed') AND status <> $3::contact_status`,
        [accountId, contactId, staying ? 'active' : 'unsubscribed'],
      );
      if (staying) await client.query(`DELETE FROM suppressions WHERE account_id = $1::uuid AND email = lower($2) AND reason = 'unsubscribe'`, [accountId, contact.rows[0].email]);
      const kept = changed.rows.filter((r) => r.kept).length;
      return { left: changed.rows.length - kept, kept };
    });
  }

  /** The `unsubscribed` event for a recipient who left lists on the preferences page (once per recipient). */
  async recordUnsubscribed(accountId: string, recipientId: string, via: string, data: Record<string, unknown>): Promise<boolean> {
    const rows = await this.sql.query(
      `INSERT INTO message_events (message_id, recipient_id, account_id, type, detail, data)
       SELECT r.message_id, r.id, r.account_id, 'unsubscribed', $3, $4::jsonb FROM recipients r WHERE r.id = $2::uuid AND r.account_id = $1::uuid
       ON CONFLICT (recipient_id) WHERE type = 'unsubscribed' DO NOTHING
       RETURNING 1`,
      [accountId, recipientId, `unsubscribed (${via})`, JSON.stringify({ via, ...data })],
    );
    return rows.length > 0;
  }

  /** Contact ids of these addresses in the account (lower-cased keys), for API broadcast mail. */
  async contactIds(accountId: string, emails: string[]): Promise<Map<string, string>> {
    if (!emails.length) return new Map();
    const rows = await this.sql.query<{ id: string; email: string }>(
      'SELECT id, email FROM contacts WHERE account_id = $1::uuid AND email = ANY($2::text[])',
      [accountId, emails.map((e) => e.toLowerCase())],
    );
    return new Map(rows.map((r) => [r.email, r.id]));
  }
}
