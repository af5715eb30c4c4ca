import { Injectable } from '@nestjs/common';
import { newOrderedId } from '@mailroom/common';
import { Sql, type Tx } from '../sql';

export type ContactStatus = 'active' | 'unsubscribed' | 'bounced' | 'complained';
export type ConsentMethod = 'api' | 'import' | 'form' | 'confirmation';
export type MembershipStatus = 'unconfirmed' | 'subscribed' | 'unsubscribed';

/** A contact as given: a normalized (lower-case, validated) address and attributes to merge. */
export interface ContactInput {
  email: string;
  attributes: Record<string, unknown>;
}

/** How consent was given; recorded on a contact when it is first added, never overwritten. */
export interface Consent {
  method: ConsentMethod;
  ip?: string | null;
  userAgent?: string | null;
}

export interface ContactRow {
  id: string;
  email: string;
  attributes: Record<string, unknown>;
  status: ContactStatus;
  consent_at: Date | null;
  consent_ip: string | null;
  consent_user_agent: string | null;
  consent_method: ConsentMethod | null;
  erased_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface UpsertedContact {
  id: string;
  email: string;
  status: ContactStatus;
  created: boolean;
  /** The address is on the account's suppression list: stored, but no mail will reach it. */
  suppressed: boolean;
}

export interface ContactMembershipRow {
  list_id: string;
  list_name: string;
  status: MembershipStatus;
  subscribed_at: Date;
  unsubscribed_at: Date | null;
  confirmed_at: Date | null;
  confirm_ip: string | null;
  created_at: Date;
}

export interface ContactMessageRow {
  message_id: string;
  recipient_id: string;
  campaign_id: string | null;
  subject: string;
  stream: string;
  status: string;
  created_at: Date;
  events: Array<{ type: string; at: string; detail: string | null }>;
}

export interface ContactFilter {
  email?: string;
  listId?: string;
  status?: ContactStatus;
  /** Keyset: the (created_at, id) of the last contact of the previous page. */
  after?: { createdAt: Date; id: string };
  limit: number;
}

const COLUMNS = `id, email, attributes, status, consent_at, consent_ip, consent_user_agent, consent_method, erased_at, created_at, updated_at`;

/**
 * Contacts of an account. Upserts are one statement per batch over arrays (unnest), because
 * imports and the API write thousands at a time; the statement's ON CONFLICT merges attributes
 * into an existing contact and leaves its status and consent alone.
 */
@Injectable()
export class ContactRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Inserts new contacts and merges the attributes of existing ones (the given keys win), in one
   * statement. `contacts` must not name an address twice (ON CONFLICT cannot touch a row twice).
   * Consent is recorded on contacts this call creates. With `existingWins`, attributes a contact
   * has keep their values and only missing ones are added.
   */
  async upsert(accountId: string, contacts: ContactInput[], consent: Consent, options: { tx?: Tx; existingWins?: boolean } = {}): Promise<UpsertedContact[]> {
    if (!contacts.length) return [];
    const runner = options.tx ?? this.sql.pool;
    // A public form may add a contact but not rewrite an existing one's attributes.
    const merge = options.existingWins ? 'EXCLUDED.attributes || contacts.attributes' : 'contacts.attributes || EXCLUDED.attributes';
    const { rows } = await runner.query<UpsertedContact>(
      `WITH input AS (
         SELECT * FROM unnest($2::uuid[], $3::text[], $4::jsonb[]) AS i(id, email, attributes)),
       up AS (
         INSERT INTO contacts (id, account_id, email, attributes, consent_at, consent_ip, consent_user_agent, consent_method)
         SELECT id, $1, email, attributes, now(), $5, $6, $7::consent_method FROM input
         ON CONFLICT (account_id, email) DO UPDATE
           SET attributes = ${merge}, updated_at = now()
         RETURNING id, email, status, (xmax = 0) AS created)
       SELECT up.id, up.email, up.status, up.created, (s.email IS NOT NULL) AS suppressed
         FROM up LEFT JOIN suppressions s ON s.account_id = $1 AND s.email = up.email`,
      [accountId, contacts.map(() => newOrderedId()), contacts.map((c) => c.email), contacts.map((c) => JSON.stringify(c.attributes)), consent.ip ?? null, consent.userAgent ?? null, consent.method],
    );
    return rows;
  }

  /** Newest first, keyset-paged by (created_at, id). */
  list(accountId: string, filter: ContactFilter): Promise<ContactRow[]> {
    const where = ['c.account_id = $1'];
    const values: unknown[] = [accountId];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    if (filter.email !== undefined) where.push(`c.email = ${param(filter.email)}`);
    if (filter.status !== undefined) where.push(`c.status = ${param(filter.status)}::contact_status`);
    if (filter.listId !== undefined) where.push(`EXISTS (SELECT 1 FROM list_memberships m WHERE m.list_id = ${param(filter.listId)} AND m.contact_id = c.id)`);
    if (filter.after) where.push(`(c.created_at, c.id) < (${param(filter.after.createdAt)}, ${param(filter.after.id)}::uuid)`);
    return this.sql.query<ContactRow>(
      `SELECT ${COLUMNS.split(', ').map((c) => `c.${c}`).join(', ')} FROM contacts c
        WHERE ${where.join(' AND ')}
        ORDER BY c.created_at DESC, c.id DESC LIMIT ${param(filter.limit)}`,
      values,
    );
  }

  async find(accountId: string, id: string): Promise<ContactRow | null> {
    const [row] = await this.sql.query<ContactRow>(`SELECT ${COLUMNS} FROM contacts WHERE account_id = $1 AND id = $2`, [accountId, id]);
    return row ?? null;
  }

  async findByEmail(accountId: string, email: string, tx?: Tx): Promise<ContactRow | null> {
    const runner = tx ?? this.sql.pool;
    const { rows } = await runner.query<ContactRow>(`SELECT ${COLUMNS} FROM contacts WHERE account_id = $1 AND email = $2`, [accountId, email]);
    return rows[0] ?? null;
  }

  memberships(accountId: string, contactId: string): Promise<ContactMembershipRow[]> {
    return this.sql.query<ContactMembershipRow>(
      `SELECT m.list_id, l.name AS list_name, m.status, m.subscribed_at, m.unsubscribed_at, m.confirmed_at, m.confirm_ip, m.created_at
         FROM list_memberships m JOIN contact_lists l ON l.id = m.list_id
        WHERE m.contact_id = $2 AND l.account_id = $1
        ORDER BY m.created_at`,
      [accountId, contactId],
    );
  }

  /**
   * A double opt-in confirmed: the consent record becomes the confirmation (time, IP, user
   * agent), and a contact who had unsubscribed is active again, having asked to be.
   */
  async recordConfirmation(accountId: string, id: string, ip: string | null, userAgent: string | null, tx?: Tx): Promise<void> {
    await (tx ?? this.sql.pool).query(
      `UPDATE contacts SET consent_at = now(), consent_ip = $3, consent_user_agent = $4, consent_method = 'confirmation',
              status = CASE WHEN status = 'unsubscribed' THEN 'active'::contact_status ELSE status END, updated_at = now()
        WHERE account_id = $1 AND id = $2 AND erased_at IS NULL`,
      [accountId, id, ip, userAgent],
    );
  }

  /** The newest messages the contact got (campaign mail names its contact), with their events. */
  messages(accountId: string, contactId: string, limit: number): Promise<ContactMessageRow[]> {
    return this.sql.query<ContactMessageRow>(
      `SELECT m.id AS message_id, r.id AS recipient_id, m.campaign_id, m.subject, m.stream, r.status, m.created_at,
              COALESCE((SELECT jsonb_agg(jsonb_build_object('type', e.type, 'at', e.created_at, 'detail', e.detail) ORDER BY e.id)
                          FROM message_events e WHERE e.message_id = m.id AND (e.recipient_id = r.id OR e.recipient_id IS NULL)), '[]') AS events
         FROM recipients r JOIN messages m ON m.id = r.message_id
        WHERE r.contact_id = $2 AND r.account_id = $1
        ORDER BY m.created_at DESC LIMIT $3`,
      [accountId, contactId, limit],
    );
  }

  /**
   * Sets attributes (merged: a key given as null is removed) and/or status. An erased contact
   * keeps nothing to update.
   */
  async update(accountId: string, id: string, change: { attributes?: Record<string, unknown>; status?: ContactStatus }): Promise<ContactRow | null> {
    const [row] = await this.sql.query<ContactRow>(
      `UPDATE contacts
          SET attributes = CASE WHEN $3::jsonb IS NULL THEN attributes ELSE jsonb_strip_nulls(attributes || $3::jsonb) END,
              status = COALESCE($4::contact_status, status), updated_at = now()
        WHERE account_id = $1 AND id = $2 AND erased_at IS NULL
        RETURNING ${COLUMNS}`,
      [accountId, id, change.attributes === undefined ? null : JSON.stringify(change.attributes), change.status ?? null],
    );
    return row ?? null;
  }

  /**
   * Erases a contact's personal data in one transaction: the address becomes a placeholder made
   * from the contact's random id (nothing of the address survives), attributes and the consent's
   * IP and user agent are cleared, memberships are removed, and the address is blanked on the
   * messages it got (recipients, frozen campaign audiences) so counts stay and name nobody. The
   * row stays, status `unsubscribed`, so numbers that counted it still add up.
   */
  async erase(accountId: string, id: string): Promise<ContactRow | null> {
    return this.sql.transaction(async (tx) => {
      const { rows: before } = await tx.query<{ email: string }>(`SELECT email FROM contacts WHERE account_id = $1 AND id = $2 AND erased_at IS NULL FOR UPDATE`, [accountId, id]);
      if (!before.length) {
        const { rows } = await tx.query<ContactRow>(`SELECT ${COLUMNS} FROM contacts WHERE account_id = $1 AND id = $2`, [accountId, id]);
        return rows[0] ?? null; // already erased (idempotent) or not found
      }
      const placeholder = erasedAddress(id);
      const { rows } = await tx.query<ContactRow>(
        `UPDATE contacts SET email = $3, attributes = '{}', consent_ip = NULL, consent_user_agent = NULL,
                status = 'unsubscribed', erased_at = now(), updated_at = now()
          WHERE account_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
        [accountId, id, placeholder],
      );
      await tx.query(`DELETE FROM list_memberships WHERE contact_id = $1`, [id]);
      // Mail still waiting for delivery keeps its address until it is final; the address is
      // matched exactly (recipients keep it as given) besides by contact id.
      const { rows: recipients } = await tx.query<{ id: string; message_id: string }>(
        `UPDATE recipients SET email = $3
          WHERE account_id = $1 AND (contact_id = $2 OR email = $4) AND status NOT IN ('queued', 'sending', 'deferred')
          RETURNING id, message_id`,
        [accountId, id, placeholder, before[0]!.email],
      );
      // Opens and clicks recorded the reader's IP and user agent.
      await tx.query(
        `UPDATE message_events SET data = data - 'ip' - 'ua' - 'user_agent'
          WHERE message_id = ANY($1::uuid[]) AND recipient_id = ANY($2::uuid[]) AND data ?| ARRAY['ip', 'ua', 'user_agent']`,
        [recipients.map((r) => r.message_id), recipients.map((r) => r.id)],
      );
      await tx.query(`UPDATE campaign_recipients SET email = $3 WHERE campaign_id IN (SELECT id FROM campaigns WHERE account_id = $1) AND contact_id = $2`, [accountId, id, placeholder]);
      return rows[0]!;
    });
  }
}

/** The address an erased contact keeps: from its random id, so the real one cannot be recovered. */
export function erasedAddress(contactId: string): string {
  return `erased-${contactId}@erased.invalid`;
}
