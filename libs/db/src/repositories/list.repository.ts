import { Injectable } from '@nestjs/common';
import { newId } from '@mailroom/common';
import { Sql, type Tx } from '../sql';
import type { MembershipStatus } from './contact.repository';

export type OptIn = 'single' | 'double';

export interface ListCounts {
  subscribed: number;
  unconfirmed: number;
  unsubscribed: number;
}

export type ListWithCounts = ListRow & { counts: ListCounts };

export interface ListFields {
  name: string;
  description: string;
  opt_in: OptIn;
  list_id_header: string;
  form_enabled: boolean;
  confirm_from: string | null;
  confirm_subject: string | null;
  confirm_html: string | null;
  confirm_text: string | null;
}

/** A list as stored: what the owner sets (ListFields) and what the list is given. */
export interface ListRow extends ListFields {
  id: string;
  account_id: string;
  created_at: Date;
  updated_at: Date;
}

export interface JoinedMember {
  contact_id: string;
  email: string;
  /** The membership's state after the call. */
  status: MembershipStatus;
  /** Whether this call moved it to that state (a new member, or one that came back). */
  changed: boolean;
}

export interface ExportRow {
  contact_id: string;
  email: string;
  attributes: Record<string, unknown>;
  contact_status: string;
  status: MembershipStatus;
  subscribed_at: Date;
  confirmed_at: Date | null;
  created_at: Date;
}

const COLUMNS = `id, account_id, name, description, opt_in, list_id_header, form_enabled, confirm_from, confirm_subject, confirm_html, confirm_text, created_at, updated_at`;
const FIELDS: Array<keyof ListFields> = ['name', 'description', 'opt_in', 'list_id_header', 'form_enabled', 'confirm_from', 'confirm_subject', 'confirm_html', 'confirm_text'];
// The counters that triggers on list_memberships keep (list_member_counts): counting a list of a
// million members took ~200 ms a call, reading at most three rows takes none (issue 14). A
// (list, state) nobody was ever in has no row, hence the zeros.
const COUNTS = `(SELECT jsonb_build_object(
                   'subscribed', COALESCE(sum(n.count) FILTER (WHERE n.status = 'subscribed'), 0),
                   'unconfirmed', COALESCE(sum(n.count) FILTER (WHERE n.status = 'unconfirmed'), 0),
                   'unsubscribed', COALESCE(sum(n.count) FILTER (WHERE n.status = 'unsubscribed'), 0))
                  FROM list_member_counts n WHERE n.list_id = l.id) AS counts`;

/** Contact lists and their memberships, every statement scoped by the account. */
@Injectable()
export class ListRepository {
  constructor(private readonly sql: Sql) {}

  /** `id` may be chosen first: a default List-Id names it. */
  async create(accountId: string, fields: ListFields, id = newId()): Promise<ListRow> {
    const [row] = await this.sql.query<ListRow>(
      `INSERT INTO contact_lists (id, account_id, ${FIELDS.join(', ')}) VALUES ($1, $2, ${FIELDS.map((_, i) => `$${i + 3}`).join(', ')}) RETURNING ${COLUMNS}`,
      [id, accountId, ...FIELDS.map((f) => fields[f])],
    );
    return row!;
  }

  /** Every list of the account with member counts by membership state. */
  list(accountId: string): Promise<ListWithCounts[]> {
    return this.sql.query<ListWithCounts>(`SELECT ${prefixed('l')}, ${COUNTS} FROM contact_lists l WHERE l.account_id = $1 ORDER BY l.created_at, l.id`, [accountId]);
  }

  async find(accountId: string, id: string, tx?: Tx): Promise<ListRow | null> {
    const runner = tx ?? this.sql.pool;
    const { rows } = await runner.query<ListRow>(`SELECT ${COLUMNS} FROM contact_lists WHERE account_id = $1 AND id = $2`, [accountId, id]);
    return rows[0] ?? null;
  }

  async findWithCounts(accountId: string, id: string): Promise<ListWithCounts | null> {
    const [row] = await this.sql.query<ListWithCounts>(`SELECT ${prefixed('l')}, ${COUNTS} FROM contact_lists l WHERE l.account_id = $1 AND l.id = $2`, [accountId, id]);
    return row ?? null;
  }

  /** A list found by its id alone: public endpoints (the form, confirmation links) name only the list. */
  async findPublic(id: string): Promise<ListRow | null> {
    const [row] = await this.sql.query<ListRow>(`SELECT ${COLUMNS} FROM contact_lists WHERE id = $1`, [id]);
    return row ?? null;
  }

  async update(accountId: string, id: string, change: Partial<ListFields>): Promise<ListRow | null> {
    const keys = FIELDS.filter((f) => change[f] !== undefined);
    const sets = keys.map((f, i) => `${f} = $${i + 3}`);
    const [row] = await this.sql.query<ListRow>(
      `UPDATE contact_lists SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE account_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [accountId, id, ...keys.map((f) => change[f])],
    );
    return row ?? null;
  }

  /** Removes the list and its memberships (the contacts stay). */
  async delete(accountId: string, id: string): Promise<boolean> {
    const rows = await this.sql.query(`DELETE FROM contact_lists WHERE account_id = $1 AND id = $2 RETURNING id`, [accountId, id]);
    return rows.length > 0;
  }

  /**
   * Puts contacts on a list in one statement: new members get `status` (subscribed, or
   * unconfirmed on a double opt-in list); an unconfirmed member becomes subscribed when
   * `status` is subscribed. A member who unsubscribed stays unsubscribed unless `rejoin` (the
   * person's own form or confirmation): a list owner's import must not undo an unsubscribe.
   */
  async join(listId: string, contactIds: string[], status: 'subscribed' | 'unconfirmed', options: { rejoin?: boolean; tx?: Tx } = {}): Promise<JoinedMember[]> {
    if (!contactIds.length) return [];
    const runner = options.tx ?? this.sql.pool;
    const { rows } = await runner.query<JoinedMember>(
      `WITH input AS (SELECT DISTINCT unnest($2::uuid[]) AS contact_id),
       before AS (SELECT m.contact_id, m.status FROM list_memberships m JOIN input i USING (contact_id) WHERE m.list_id = $1),
       up AS (
         INSERT INTO list_memberships (list_id, contact_id, status, subscribed_at, created_at)
         SELECT $1, contact_id, $3::membership_status, now(), now() FROM input
         ON CONFLICT (list_id, contact_id) DO UPDATE
            SET status = EXCLUDED.status, subscribed_at = now(), unsubscribed_at = NULL
          WHERE (list_memberships.status = 'unconfirmed' AND EXCLUDED.status = 'subscribed')
             OR (list_memberships.status = 'unsubscribed' AND $4::bool)
         RETURNING contact_id, status)
       SELECT i.contact_id, c.email, COALESCE(up.status, b.status) AS status, (up.contact_id IS NOT NULL) AS changed
         FROM input i JOIN contacts c ON c.id = i.contact_id
         LEFT JOIN up ON up.contact_id = i.contact_id LEFT JOIN before b ON b.contact_id = i.contact_id`,
      [listId, contactIds, status, options.rejoin === true],
    );
    return rows;
  }

  /** Confirms a double opt-in membership; null when there is none (the contact was removed). */
  async confirm(listId: string, contactId: string, ip: string | null, tx?: Tx): Promise<{ status: MembershipStatus; confirmed_at: Date | null; changed: boolean } | null> {
    const runner = tx ?? this.sql.pool;
    const { rows } = await runner.query<{ status: MembershipStatus; confirmed_at: Date | null; changed: boolean }>(
      `WITH up AS (
         UPDATE list_memberships SET status = 'subscribed', confirmed_at = now(), confirm_ip = $3, subscribed_at = now(), unsubscribed_at = NULL
          WHERE list_id = $1 AND contact_id = $2 AND status = 'unconfirmed'
          RETURNING status, confirmed_at)
       SELECT status, confirmed_at, true AS changed FROM up
       UNION ALL
       SELECT status, confirmed_at, false FROM list_memberships WHERE list_id = $1 AND contact_id = $2 AND NOT EXISTS (SELECT 1 FROM up)`,
      [listId, contactId, ip],
    );
    return rows[0] ?? null;
  }

  async membership(listId: string, contactId: string): Promise<{ status: MembershipStatus; confirmed_at: Date | null } | null> {
    const [row] = await this.sql.query<{ status: MembershipStatus; confirmed_at: Date | null }>(`SELECT status, confirmed_at FROM list_memberships WHERE list_id = $1 AND contact_id = $2`, [listId, contactId]);
    return row ?? null;
  }

  /** Takes a contact (by address) off the list; false when it was not on it. */
  async leave(accountId: string, listId: string, email: string): Promise<boolean> {
    const rows = await this.sql.query(
      `DELETE FROM list_memberships m USING contacts c, contact_lists l
        WHERE m.list_id = $2 AND l.id = m.list_id AND l.account_id = $1 AND c.id = m.contact_id AND c.account_id = $1 AND c.email = $3
        RETURNING m.contact_id`,
      [accountId, listId, email],
    );
    return rows.length > 0;
  }

  /** Attribute names used by the list's members (at most `limit`), for an export's header. */
  async attributeKeys(listId: string, limit: number): Promise<string[]> {
    const rows = await this.sql.query<{ key: string }>(
      `SELECT DISTINCT k AS key FROM list_memberships m JOIN contacts c ON c.id = m.contact_id, jsonb_object_keys(c.attributes) k
        WHERE m.list_id = $1 ORDER BY 1 LIMIT $2`,
      [listId, limit],
    );
    return rows.map((r) => r.key);
  }

  /** One page of the list's members in contact id order (the membership key), after `afterContactId`. */
  exportPage(listId: string, afterContactId: string | null, limit: number): Promise<ExportRow[]> {
    return this.sql.query<ExportRow>(
      `SELECT m.contact_id, c.email, c.attributes, c.status AS contact_status, m.status, m.subscribed_at, m.confirmed_at, c.created_at
         FROM list_memberships m JOIN contacts c ON c.id = m.contact_id
        WHERE m.list_id = $1 AND ($2::uuid IS NULL OR m.contact_id > $2::uuid)
        ORDER BY m.contact_id LIMIT $3`,
      [listId, afterContactId, limit],
    );
  }
}

function prefixed(alias: string): string {
  return COLUMNS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');
}
