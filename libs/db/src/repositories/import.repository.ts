import { Injectable } from '@nestjs/common';
import { Sql } from '../sql';

export type ImportStatus = 'running' | 'done' | 'failed';

export interface ImportRow {
  id: string;
  account_id: string;
  list_id: string | null;
  status: ImportStatus;
  filename: string;
  rows_read: number;
  added: number;
  updated: number;
  rejected: number;
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

export interface ImportRejectRow {
  line: number;
  email: string | null;
  reason: string;
}

/** One chunk of a file: the rows that passed the checks done in the importer, and those that did not. */
export interface ImportChunk {
  /** Rows read from the file in this chunk (accepted, rejected and blank-email rows alike). */
  rowsRead: number;
  rows: Array<{ line: number; email: string; attributes: string }>;
  rejects: ImportRejectRow[];
}

const COLUMNS = `id, account_id, list_id, status, filename, rows_read, added, updated, rejected, error, created_at, finished_at`;

/**
 * CSV imports. A chunk of rows is applied by one statement: suppressed addresses are set aside
 * as rejects, the others upserted (attributes merged), put on the import's list, the rejects
 * recorded and the import's counters advanced, all at once, so the progress another request
 * reads always matches what is stored.
 */
@Injectable()
export class ImportRepository {
  constructor(private readonly sql: Sql) {}

  async create(id: string, accountId: string, listId: string | null, filename: string): Promise<ImportRow> {
    const [row] = await this.sql.query<ImportRow>(`INSERT INTO imports (id, account_id, list_id, filename) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`, [id, accountId, listId, filename]);
    return row!;
  }

  async find(accountId: string, id: string): Promise<ImportRow | null> {
    const [row] = await this.sql.query<ImportRow>(`SELECT ${COLUMNS} FROM imports WHERE account_id = $1 AND id = $2`, [accountId, id]);
    return row ?? null;
  }

  /** Newest first, keyset-paged by (created_at, id). */
  list(accountId: string, options: { status?: ImportStatus; after?: { createdAt: Date; id: string }; limit: number }): Promise<ImportRow[]> {
    return this.sql.query<ImportRow>(
      `SELECT ${COLUMNS} FROM imports
        WHERE account_id = $1 AND ($2::import_status IS NULL OR status = $2)
          AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $5`,
      [accountId, options.status ?? null, options.after?.createdAt ?? null, options.after?.id ?? null, options.limit],
    );
  }

  /**
   * Applies one chunk (see the class comment). Rows must name distinct addresses. With a list,
   * new members are subscribed (the list owner vouches for the import's consent) and members
   * who unsubscribed stay unsubscribed.
   */
  async applyChunk(importId: string, accountId: string, listId: string | null, chunk: ImportChunk): Promise<void> {
    await this.sql.query(
      `WITH input AS (
         SELECT * FROM unnest($4::int[], $5::text[], $6::jsonb[]) AS i(line, email, attributes)),
       supp AS (
         SELECT i.line, i.email FROM input i JOIN suppressions s ON s.account_id = $2 AND s.email = i.email),
       up AS (
         -- Ids ordered by time so a large import appends to the primary key and to the
         -- membership indexes instead of touching random pages.
         INSERT INTO contacts (id, account_id, email, attributes, consent_at, consent_method)
         SELECT mailroom_ordered_uuid(), $2, i.email, i.attributes, now(), 'import'
           FROM input i WHERE NOT EXISTS (SELECT 1 FROM supp WHERE supp.line = i.line)
          -- In address order, the chunk's entries in the unique index land on neighbouring pages.
          ORDER BY i.email
         ON CONFLICT (account_id, email) DO UPDATE
           SET attributes = contacts.attributes || EXCLUDED.attributes, updated_at = now()
         RETURNING id, (xmax = 0) AS created),
       joined AS (
         INSERT INTO list_memberships (list_id, contact_id, status)
         SELECT $3::uuid, id, 'subscribed' FROM up WHERE $3::uuid IS NOT NULL
         ON CONFLICT (list_id, contact_id) DO UPDATE SET status = 'subscribed', subscribed_at = now()
          WHERE list_memberships.status = 'unconfirmed'),
       rejects AS (
         INSERT INTO import_rejects (import_id, line, email, reason)
         SELECT $1::uuid, line, email, 'suppressed' FROM supp
         UNION ALL
         SELECT $1::uuid, * FROM unnest($7::int[], $8::text[], $9::text[])
         ON CONFLICT DO NOTHING)
       UPDATE imports
          SET rows_read = rows_read + $10,
              added = added + (SELECT count(*) FROM up WHERE created),
              updated = updated + (SELECT count(*) FROM up WHERE NOT created),
              rejected = rejected + (SELECT count(*) FROM supp) + cardinality($7::int[])
        WHERE id = $1`,
      [
        importId,
        accountId,
        listId,
        chunk.rows.map((r) => r.line),
        chunk.rows.map((r) => r.email),
        chunk.rows.map((r) => r.attributes),
        chunk.rejects.map((r) => r.line),
        chunk.rejects.map((r) => r.email),
        chunk.rejects.map((r) => r.reason),
        chunk.rowsRead,
      ],
    );
  }

  async finish(accountId: string, id: string, outcome: { status: 'done' } | { status: 'failed'; error: string }): Promise<ImportRow> {
    const [row] = await this.sql.query<ImportRow>(
      `UPDATE imports SET status = $3, error = $4, finished_at = now() WHERE account_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [accountId, id, outcome.status, outcome.status === 'failed' ? outcome.error : null],
    );
    return row!;
  }

  /** Rejected rows in line order, after line `afterLine`. */
  rejects(importId: string, afterLine: number, limit: number): Promise<ImportRejectRow[]> {
    return this.sql.query<ImportRejectRow>(`SELECT line, email, reason FROM import_rejects WHERE import_id = $1 AND line > $2 ORDER BY line LIMIT $3`, [importId, afterLine, limit]);
  }
}
