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
  /** When it was asked for (the event's data.requested_at); now when not given. */
  requestedAt?: Date;
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
   * Unsubscribes in one statement for a batch of requests (the service gathers concurrent ones):
   * memberships (each request's list, or all), the contacts that leave their last list, the
   * suppressions (requests naming no list), and the `unsubscribed` events (unique per recipient:
   * a repeated POST records nothing twice), which the events trigger counts in hourly_stats. One
   * statement per batch rather than per request, because every unsubscribe of a campaign updates
   * that one counter row: per request, they queued on its lock (the bench ran 59-74/s at 200
   * clients). Sends re-check memberships, contact status and suppressions when they are
   * materialized or accepted, so this applies to every send after it.
   */
  async unsubscribe(requests: UnsubscribeRequest[]): Promise<void> {
    if (!requests.length) return;
    const col = <T>(pick: (u: UnsubscribeRequest) => T) => requests.map(pick);
    await this.sql.query(
      `WITH u AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::jsonb[])
                    AS u(account_id, contact_id, list_id, recipient_id, detail, data)),
            r AS (SELECT u.*, c.email AS contact_email, rc.id AS rid, rc.message_id, rc.email AS recipient_email
                    FROM u
                    LEFT JOIN contacts c ON c.id = u.contact_id AND c.account_id = u.account_id
                    LEFT JOIN recipients rc ON rc.id = u.recipient_id AND rc.account_id = u.account_id),
            ms AS (UPDATE list_memberships m SET status = 'unsubscribed', unsubscribed_at = now()
                     FROM contact_lists l, u
                    WHERE m.contact_id = u.contact_id AND l.id = m.list_id AND l.account_id = u.account_id
                      AND (u.list_id IS NULL OR m.list_id = u.list_id) AND m.status <> 'unsubscribed'
                RETURNING m.contact_id, m.list_id),
            -- Statements of one WITH see the same snapshot: the lists left just now are excluded by hand.
            cu AS (UPDATE contacts c SET status = 'unsubscribed', updated_at = now()
                     FROM (SELECT DISTINCT account_id, contact_id FROM u WHERE contact_id IS NOT NULL) x
                    WHERE c.id = x.contact_id AND c.account_id = x.account_id AND c.status = 'active'
                      AND NOT EXISTS (SELECT 1 FROM list_memberships lm
                                       WHERE lm.contact_id = c.id AND lm.status IN ('subscribed', 'unconfirmed')
                                         AND NOT EXISTS (SELECT 1 FROM ms WHERE ms.contact_id = lm.contact_id AND ms.list_id = lm.list_id))
                RETURNING c.id),
            sup AS (INSERT INTO suppressions (account_id, email, reason, detail, message_id)
                    SELECT DISTINCT ON (account_id, email) account_id, email, 'unsubscribe', detail, message_id
                      FROM (SELECT r.account_id, lower(COALESCE(r.contact_email, r.recipient_email)) AS email, r.detail, r.message_id
                              FROM r WHERE r.list_id IS NULL) s
                     WHERE email IS NOT NULL
                    ON CONFLICT (account_id, email) DO NOTHING
                 RETURNING 1),
            ev AS (INSERT INTO message_events (message_id, recipient_id, account_id, type, detail, data)
                   SELECT DISTINCT ON (r.rid) r.message_id, r.rid, r.account_id, 'unsubscribed', r.detail, r.data FROM r WHERE r.rid IS NOT NULL
                   ON CONFLICT (recipient_id) WHERE type = 'unsubscribed' DO NOTHING
                RETURNING 1)
       SELECT (SELECT count(*) FROM ms) + (SELECT count(*) FROM cu) + (SELECT count(*) FROM sup) + (SELECT count(*) FROM ev) AS changed`,
      [
        col((u) => u.accountId),
        col((u) => u.contactId),
        col((u) => u.listId),
        col((u) => u.recipientId),
        col((u) => `unsubscribed (${u.via})`),
        col((u) => JSON.stringify({ via: u.via, list_id: u.listId, ip: u.ip ?? null, ua: u.userAgent?.slice(0, 500) ?? null, requested_at: (u.requestedAt ?? new Date()).toISOString() })),
      ],
    );
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
