import { Injectable } from '@nestjs/common';
import { Sql, type Tx } from '../sql';
import { countersOf, KEYWORDS_CHANGED_SINCE } from './folder.repository';
import { filterSql, type MessageFilter } from './message-filter';

/**
 * The folder `folderParam` when it belongs to the mailbox `mailboxParam`, else NULL (which no
 * folder_id equals): scopes a read of stored_mail by the mailbox as well as the folder, at the
 * cost of one primary-key probe, so a folder id that leaks never reads another mailbox's mail.
 */
export const OWNED_FOLDER = (folderParam: string, mailboxParam: string) => `(SELECT id FROM folders WHERE id = ${folderParam} AND mailbox_id = ${mailboxParam})`;

/** What is stored of one message: raw bytes and what FETCH and SEARCH need without parsing them. */
export interface StoredMailInput {
  flags: string[];
  internalDate: Date;
  subject: string;
  fromAddress: string;
  toAddresses: string;
  sentDate: Date | null;
  messageIdHeader: string | null;
  raw: Buffer;
  envelope: unknown;
  bodyStructure: unknown;
}

/** A message numbered in its folder, ready to be stored. */
export interface StoredMailRow {
  folderId: string;
  uid: number;
  modseq: bigint;
  message: StoredMailInput;
}

/** Which columns a FETCH or SEARCH needs; raw bytes and MIME trees are read only when asked. */
export interface MessageColumns {
  raw?: boolean;
  /** The ENVELOPE and the MIME tree. */
  structure?: boolean;
  /** The ENVELOPE alone (a FETCH of a page of ENVELOPEs reads no MIME tree). */
  envelope?: boolean;
  summary?: boolean;
}

/** One stored message; the jsonb columns come back as the mail store wrote them (it names their types). */
export interface StoredMailRecord<TEnvelope = unknown, TStructure = unknown> {
  uid: number;
  modseq: number;
  flags: string[];
  internalDate: Date;
  size: number;
  subject?: string;
  fromAddress?: string;
  toAddresses?: string;
  sentDate?: Date | null;
  raw?: Buffer;
  envelope?: TEnvelope;
  bodyStructure?: TStructure;
}

export type FlagOperation = 'set' | 'add' | 'remove';

/** A STORE: `operation` of `flags` on the messages `uids` of a folder of the mailbox. */
export interface StoreFlagsInput {
  mailboxId: string;
  folderId: string;
  uids: readonly number[];
  operation: FlagOperation;
  flags: readonly string[];
  /** CONDSTORE: only messages whose MODSEQ is at most this are changed. */
  unchangedSince?: number;
}

/** A message's flags after a STORE, and whether they changed. */
export interface FlagsAfterStore {
  uid: number;
  flags: string[];
  modseq: number;
  changed: boolean;
  /** Its MODSEQ before the STORE. */
  before: number;
}

/** Messages added or changed, and UIDs expunged, after a MODSEQ, with the folder's counters. */
export interface ChangesSince {
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  changed: Array<{ uid: number; flags: string[]; modseq: number }>;
  expunged: Array<{ uid: number; modseq: number }>;
}

const FLAG_EXPRESSIONS: Record<FlagOperation, { value: string; changes: string }> = {
  set: { value: '$3::text[]', changes: 'NOT (s.flags @> $3::text[] AND $3::text[] @> s.flags)' },
  add: { value: 'ARRAY(SELECT DISTINCT x FROM unnest(s.flags || $3::text[]) x)', changes: 'NOT (s.flags @> $3::text[])' },
  remove: { value: 'ARRAY(SELECT x FROM unnest(s.flags) x WHERE x <> ALL($3::text[]))', changes: 's.flags && $3::text[]' },
};

interface MessageRow {
  uid: number;
  modseq: string;
  flags: string[];
  internal_date: Date;
  size: number;
  subject?: string;
  from_address?: string;
  to_addresses?: string;
  sent_date?: Date | null;
  raw?: Buffer;
  envelope?: unknown;
  body_structure?: unknown;
}

/** A stored message's own columns, after its folder, UID and MODSEQ. */
const MESSAGE_COLUMNS = ['flags', 'internal_date', 'size', 'subject', 'from_address', 'to_addresses', 'sent_date', 'message_id_header', 'raw', 'envelope', 'body_structure'];
const STORED_COLUMNS = `folder_id, uid, modseq, ${MESSAGE_COLUMNS.join(', ')}`;

/** Adds a message's own columns to `values`; their placeholders, typed, in MESSAGE_COLUMNS order. */
function messageParams(values: unknown[], message: StoredMailInput): string {
  const at = values.length;
  values.push(
    message.flags,
    message.internalDate,
    message.raw.length,
    message.subject,
    message.fromAddress,
    message.toAddresses,
    message.sentDate,
    message.messageIdHeader,
    message.raw,
    JSON.stringify(message.envelope),
    JSON.stringify(message.bodyStructure),
  );
  const types = ['text[]', 'timestamptz', 'int', 'text', 'text', 'text', 'timestamptz', 'text', 'bytea', 'jsonb', 'jsonb'];
  return types.map((type, i) => `$${at + i + 1}::${type}`).join(', ');
}

/**
 * The messages of IMAP folders. Raw SQL: FETCH, SEARCH and STORE over folders of 100 000
 * messages read and write arrays and ranges of UIDs in one statement each, with MODSEQ taken in
 * the same statement. Every read takes the mailbox id beside the folder id (see OWNED_FOLDER).
 */
@Injectable()
export class StoredMailRepository {
  constructor(private readonly sql: Sql) {}

  /** Stores messages already numbered (FolderRepository.claimUidRun), in one statement. */
  async insert(tx: Tx, rows: readonly StoredMailRow[]): Promise<void> {
    if (!rows.length) return;
    const values: unknown[] = [];
    const tuples = rows.map(({ folderId, uid, modseq, message }) => {
      values.push(folderId, uid, modseq.toString());
      const at = values.length;
      return `($${at - 2}::uuid, $${at - 1}::int, $${at}::bigint, ${messageParams(values, message)})`;
    });
    await tx.query(`INSERT INTO stored_mail (${STORED_COLUMNS}) VALUES ${tuples.join(', ')}`, values);
  }

  /**
   * Files messages into the folder `name` of the mailbox in one statement, its own transaction
   * (one round trip instead of BEGIN, claim, insert and COMMIT): UIDs and MODSEQs are taken from
   * the folder's row as FolderRepository.claimUidRun takes them, the first message getting the
   * first of each. Null when there is no such folder.
   */
  async fileRun(mailboxId: string, name: string, messages: readonly StoredMailInput[]): Promise<{ folderId: string; firstUid: number; firstModseq: bigint; uidValidity: number } | null> {
    const values: unknown[] = [mailboxId, name, messages.length];
    const tuples = messages.map((message, i) => `(${i}, ${messageParams(values, message)})`);
    const rows = await this.sql.query<{ id: string; first_uid: number; first_modseq: string; uid_validity: number }>(
      `WITH claim AS (
         UPDATE folders SET uid_next = uid_next + $3, highest_modseq = highest_modseq + $3
          WHERE mailbox_id = $1 AND name = $2
          RETURNING id, uid_next - $3 AS first_uid, highest_modseq - $3 + 1 AS first_modseq, uid_validity),
       stored AS (
         INSERT INTO stored_mail (${STORED_COLUMNS})
         SELECT claim.id, claim.first_uid + v.i, claim.first_modseq + v.i, ${MESSAGE_COLUMNS.map((c) => `v.${c}`).join(', ')}
           FROM claim, (VALUES ${tuples.join(', ')}) AS v(i, ${MESSAGE_COLUMNS.join(', ')}))
       SELECT id, first_uid, first_modseq, uid_validity FROM claim`,
      values,
    );
    const row = rows[0];
    return row ? { folderId: row.id, firstUid: row.first_uid, firstModseq: BigInt(row.first_modseq), uidValidity: row.uid_validity } : null;
  }

  /**
   * Changes flags of the given messages in one statement: only messages whose flags really
   * change get a new MODSEQ, and the folder's MODSEQ moves only when one does. With
   * `unchangedSince` (CONDSTORE), messages modified after it are left alone.
   */
  async storeFlags(input: StoreFlagsInput): Promise<FlagsAfterStore[]> {
    const expression = FLAG_EXPRESSIONS[input.operation];
    const guard = input.unchangedSince === undefined ? '' : `AND s.modseq <= ${Math.floor(input.unchangedSince)}`;
    const rows = await this.sql.query<{ uid: number; flags: string[]; modseq: string; changed: boolean; before: string }>(
      `WITH target AS (
         SELECT s.uid FROM stored_mail s
          WHERE s.folder_id = ${OWNED_FOLDER('$1', '$4')} AND s.uid = ANY($2::int[]) AND ${expression.changes} ${guard}),
       bump AS (
         UPDATE folders SET highest_modseq = highest_modseq + 1
          WHERE id = $1 AND EXISTS (SELECT 1 FROM target) RETURNING highest_modseq),
       changed AS (
         UPDATE stored_mail s SET flags = ${expression.value}, modseq = bump.highest_modseq
           FROM bump, target
          WHERE s.folder_id = $1 AND s.uid = target.uid AND ${expression.changes} ${guard}
          RETURNING s.uid, s.flags, s.modseq)
       SELECT s.uid, COALESCE(c.flags, s.flags) AS flags, COALESCE(c.modseq, s.modseq) AS modseq,
              c.uid IS NOT NULL AS changed, s.modseq AS before
         FROM stored_mail s LEFT JOIN changed c ON c.uid = s.uid
        WHERE s.folder_id = ${OWNED_FOLDER('$1', '$4')} AND s.uid = ANY($2::int[])
        ORDER BY s.uid`,
      [input.folderId, input.uids, input.flags, input.mailboxId],
    );
    return rows.map((r) => ({ uid: r.uid, flags: r.flags, modseq: Number(r.modseq), changed: r.changed, before: Number(r.before) }));
  }

  /** Those of `uids` that exist in the folder, ascending. */
  async existing(tx: Tx, folderId: string, uids: readonly number[]): Promise<number[]> {
    const rows = await tx.query<{ uid: number }>('SELECT uid FROM stored_mail WHERE folder_id = $1 AND uid = ANY($2::int[]) ORDER BY uid', [folderId, uids]);
    return rows.rows.map((r) => r.uid);
  }

  /** Copies the messages (flags, dates, bytes) into `toFolderId` as UIDs `firstUid`... in source UID order. */
  async copy(tx: Tx, input: { fromFolderId: string; uids: readonly number[]; toFolderId: string; firstUid: number; modseq: string }): Promise<void> {
    await tx.query(
      `INSERT INTO stored_mail (folder_id, uid, modseq, flags, internal_date, size, subject, from_address, to_addresses,
                                sent_date, message_id_header, raw, envelope, body_structure)
       SELECT $2, $3 + (row_number() OVER (ORDER BY uid))::int - 1, $4, flags, internal_date, size, subject, from_address,
              to_addresses, sent_date, message_id_header, raw, envelope, body_structure
         FROM stored_mail WHERE folder_id = $1 AND uid = ANY($5::int[])`,
      [input.fromFolderId, input.toFolderId, input.firstUid, input.modseq, input.uids],
    );
  }

  /**
   * What happened after `modseq`, read in one statement: writers bump the folder's MODSEQ under
   * its row lock in the same transaction as the change, so one snapshot is always consistent.
   */
  async changesSince(mailboxId: string, folderId: string, modseq: number): Promise<ChangesSince | null> {
    const rows = await this.sql.query<{ uid_validity: number; uid_next: number; highest_modseq: string; changed: Array<{ uid: number; flags: string[]; modseq: string }> | null; expunged: Array<{ uid: number; modseq: string }> | null }>(
      `SELECT f.uid_validity, f.uid_next, f.highest_modseq,
              CASE WHEN f.highest_modseq > $2 THEN
                (SELECT json_agg(json_build_object('uid', uid, 'flags', flags, 'modseq', modseq) ORDER BY uid)
                   FROM stored_mail WHERE folder_id = f.id AND modseq > $2) END AS changed,
              CASE WHEN f.highest_modseq > $2 THEN
                (SELECT json_agg(json_build_object('uid', uid, 'modseq', modseq) ORDER BY uid)
                   FROM expunged_mail WHERE folder_id = f.id AND modseq > $2) END AS expunged
         FROM folders f WHERE f.id = $1 AND f.mailbox_id = $3`,
      [folderId, modseq, mailboxId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      ...countersOf(row),
      changed: (row.changed ?? []).map((c) => ({ uid: c.uid, flags: c.flags, modseq: Number(c.modseq) })),
      expunged: (row.expunged ?? []).map((e) => ({ uid: e.uid, modseq: Number(e.modseq) })),
    };
  }

  async firstUnseenUid(mailboxId: string, folderId: string): Promise<number | null> {
    const rows = await this.sql.query<{ uid: number }>(
      `SELECT uid FROM stored_mail WHERE folder_id = ${OWNED_FOLDER('$1', '$2')} AND NOT ('\\Seen' = ANY(flags)) ORDER BY uid LIMIT 1`,
      [folderId, mailboxId],
    );
    return rows[0]?.uid ?? null;
  }

  /** Keywords (flags not starting with a backslash) on the folder's messages changed after `sinceModseq`, at most 200. */
  async keywords(mailboxId: string, folderId: string, sinceModseq = 0): Promise<string[]> {
    const rows = await this.sql.query<{ flag: string }>(KEYWORDS_CHANGED_SINCE(OWNED_FOLDER('$1', '$2'), '$3'), [folderId, mailboxId, sinceModseq]);
    return rows.map((r) => r.flag);
  }

  /** UIDs (with MODSEQ) of the messages up to `largestUid` that match, ascending. */
  async search(mailboxId: string, folderId: string, filter: MessageFilter, largestUid: number): Promise<Array<{ uid: number; modseq: number }>> {
    const params: unknown[] = [folderId, largestUid, mailboxId];
    const where = filterSql(filter, params);
    const rows = await this.sql.query<{ uid: number; modseq: string }>(
      `SELECT uid, modseq FROM stored_mail WHERE folder_id = ${OWNED_FOLDER('$1', '$3')} AND uid <= $2 AND ${where} ORDER BY uid`,
      params,
    );
    return rows.map((r) => ({ uid: r.uid, modseq: Number(r.modseq) }));
  }

  /** Messages by UID in ascending order; UIDs that no longer exist are simply absent. */
  async messages<TEnvelope = unknown, TStructure = unknown>(
    mailboxId: string,
    folderId: string,
    uids: readonly number[],
    columns: MessageColumns = {},
  ): Promise<Array<StoredMailRecord<TEnvelope, TStructure>>> {
    if (!uids.length) return [];
    const select = ['uid', 'modseq', 'flags', 'internal_date', 'size'];
    if (columns.summary) select.push('subject', 'from_address', 'to_addresses', 'sent_date');
    if (columns.raw) select.push('raw');
    if (columns.structure) select.push('envelope', 'body_structure');
    else if (columns.envelope) select.push('envelope');
    const range = contiguous(uids);
    const rows = await this.sql.query<MessageRow>(
      `SELECT ${select.join(', ')} FROM stored_mail
        WHERE folder_id = ${OWNED_FOLDER('$1', '$2')} AND ${range ? 'uid BETWEEN $3 AND $4' : 'uid = ANY($3::int[])'} ORDER BY uid`,
      range ? [folderId, mailboxId, range[0], range[1]] : [folderId, mailboxId, uids],
    );
    return rows.map((row) => ({
      uid: row.uid,
      modseq: Number(row.modseq),
      flags: row.flags,
      internalDate: row.internal_date,
      size: row.size,
      subject: row.subject,
      fromAddress: row.from_address,
      toAddresses: row.to_addresses,
      sentDate: row.sent_date,
      raw: row.raw,
      envelope: row.envelope as TEnvelope | undefined,
      bodyStructure: row.body_structure as TStructure | undefined,
    }));
  }
}

/** [first, last] when the sorted UIDs have no gaps: a range scan beats a long array parameter. */
function contiguous(uids: readonly number[]): [number, number] | null {
  const first = uids[0];
  const last = uids[uids.length - 1];
  if (last - first + 1 !== uids.length) return null;
  for (let i = 1; i < uids.length; i++) if (uids[i] !== uids[i - 1] + 1) return null;
  return [first, last];
}
