import { Injectable } from '@nestjs/common';
import { Sql } from '@mailroom/db';
import { filterSql, type MessageFilter } from './message-filter';
import type { Envelope } from './mime/envelope';
import type { MimePart } from './mime/mime-tree';

/** A folder's counters, as a selected session tracks them. */
export interface FolderState {
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
}

export interface FlagChange {
  uid: number;
  flags: string[];
  modseq: number;
}

export interface FolderChanges extends FolderState {
  /** Messages added or whose flags changed after the given MODSEQ, by UID. */
  changed: FlagChange[];
  /** Messages expunged after the given MODSEQ, by UID. */
  expunged: Array<{ uid: number; modseq: number }>;
}

/** Which columns a FETCH or SEARCH needs; raw bytes and MIME trees are read only when asked. */
export interface MessageColumns {
  raw?: boolean;
  structure?: boolean;
  summary?: boolean;
}

export interface StoredMessage {
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
  envelope?: Envelope;
  bodyStructure?: MimePart;
}

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
  envelope?: Envelope;
  body_structure?: MimePart;
}

/**
 * Reads of one folder for IMAP sessions. Callers pass folder ids they obtained through
 * FolderStore with the user's mailbox id, so these queries need not repeat the ownership check.
 */
@Injectable()
export class MailReader {
  constructor(private readonly sql: Sql) {}

  async state(folderId: string): Promise<FolderState | null> {
    const rows = await this.sql.query<{ uid_validity: number; uid_next: number; highest_modseq: string }>(
      'SELECT uid_validity, uid_next, highest_modseq FROM folders WHERE id = $1',
      [folderId],
    );
    return rows[0] ? { uidValidity: rows[0].uid_validity, uidNext: rows[0].uid_next, highestModseq: Number(rows[0].highest_modseq) } : null;
  }

  /**
   * Every UID of the folder in ascending order, with the state they belong to and the first
   * message without \Seen (one snapshot: what SELECT reports).
   */
  async snapshot(folderId: string): Promise<(FolderState & { uids: number[]; recentFrom: number; firstUnseenUid: number | null }) | null> {
    const rows = await this.sql.query<{ uid_validity: number; uid_next: number; highest_modseq: string; recent_uid_next: number; uids: number[] | null; first_unseen: number | null }>(
      `SELECT f.uid_validity, f.uid_next, f.highest_modseq, f.recent_uid_next,
              (SELECT array_agg(uid ORDER BY uid) FROM stored_mail WHERE folder_id = f.id) AS uids,
              (SELECT uid FROM stored_mail WHERE folder_id = f.id AND NOT ('\\Seen' = ANY(flags)) ORDER BY uid LIMIT 1) AS first_unseen
         FROM folders f WHERE f.id = $1`,
      [folderId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      uidValidity: row.uid_validity,
      uidNext: row.uid_next,
      highestModseq: Number(row.highest_modseq),
      recentFrom: row.recent_uid_next,
      uids: row.uids ?? [],
      firstUnseenUid: row.first_unseen,
    };
  }

  /**
   * What happened after `modseq`, read in one statement: writers bump the folder's MODSEQ under
   * its row lock in the same transaction as the change, so one snapshot is always consistent.
   */
  async changesSince(folderId: string, modseq: number): Promise<FolderChanges | null> {
    const rows = await this.sql.query<{ uid_validity: number; uid_next: number; highest_modseq: string; changed: Array<{ uid: number; flags: string[]; modseq: string }> | null; expunged: Array<{ uid: number; modseq: string }> | null }>(
      `SELECT f.uid_validity, f.uid_next, f.highest_modseq,
              CASE WHEN f.highest_modseq > $2 THEN
                (SELECT json_agg(json_build_object('uid', uid, 'flags', flags, 'modseq', modseq) ORDER BY uid)
                   FROM stored_mail WHERE folder_id = f.id AND modseq > $2) END AS changed,
              CASE WHEN f.highest_modseq > $2 THEN
                (SELECT json_agg(json_build_object('uid', uid, 'modseq', modseq) ORDER BY uid)
                   FROM expunged_mail WHERE folder_id = f.id AND modseq > $2) END AS expunged
         FROM folders f WHERE f.id = $1`,
      [folderId, modseq],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      uidValidity: row.uid_validity,
      uidNext: row.uid_next,
      highestModseq: Number(row.highest_modseq),
      changed: (row.changed ?? []).map((c) => ({ uid: c.uid, flags: c.flags, modseq: Number(c.modseq) })),
      expunged: (row.expunged ?? []).map((e) => ({ uid: e.uid, modseq: Number(e.modseq) })),
    };
  }

  /**
   * Takes the folder's \Recent messages for the calling session (RFC 3501: one session sees a
   * message as recent): returns the first recent UID and moves the mark to UIDNEXT.
   */
  async claimRecent(folderId: string): Promise<{ from: number; to: number }> {
    const rows = await this.sql.query<{ old: number; mark: number }>(
      `UPDATE folders f SET recent_uid_next = f.uid_next
         FROM (SELECT recent_uid_next AS old FROM folders WHERE id = $1 FOR UPDATE) o
        WHERE f.id = $1 RETURNING o.old, f.recent_uid_next AS mark`,
      [folderId],
    );
    return rows[0] ? { from: rows[0].old, to: rows[0].mark } : { from: 0, to: 0 };
  }

  async firstUnseenUid(folderId: string): Promise<number | null> {
    const rows = await this.sql.query<{ uid: number }>(
      `SELECT uid FROM stored_mail WHERE folder_id = $1 AND NOT ('\\Seen' = ANY(flags)) ORDER BY uid LIMIT 1`,
      [folderId],
    );
    return rows[0]?.uid ?? null;
  }

  /** Keywords in use in the folder, for the FLAGS response of SELECT. */
  async keywords(folderId: string): Promise<string[]> {
    const rows = await this.sql.query<{ flag: string }>(
      `SELECT DISTINCT f AS flag FROM stored_mail, unnest(flags) f WHERE folder_id = $1 AND NOT starts_with(f, '\\') ORDER BY 1 LIMIT 200`,
      [folderId],
    );
    return rows.map((r) => r.flag);
  }

  /** UIDs (with MODSEQ) of the messages up to `largestUid` that match, ascending. */
  async search(folderId: string, filter: MessageFilter, largestUid: number): Promise<Array<{ uid: number; modseq: number }>> {
    const params: unknown[] = [folderId, largestUid];
    const where = filterSql(filter, params);
    const rows = await this.sql.query<{ uid: number; modseq: string }>(
      `SELECT uid, modseq FROM stored_mail WHERE folder_id = $1 AND uid <= $2 AND ${where} ORDER BY uid`,
      params,
    );
    return rows.map((r) => ({ uid: r.uid, modseq: Number(r.modseq) }));
  }

  /** Messages by UID in ascending order; UIDs that no longer exist are simply absent. */
  async messages(folderId: string, uids: readonly number[], columns: MessageColumns = {}): Promise<StoredMessage[]> {
    if (!uids.length) return [];
    const select = ['uid', 'modseq', 'flags', 'internal_date', 'size'];
    if (columns.summary) select.push('subject', 'from_address', 'to_addresses', 'sent_date');
    if (columns.raw) select.push('raw');
    if (columns.structure) select.push('envelope', 'body_structure');
    const range = contiguous(uids);
    const rows = await this.sql.query<MessageRow>(
      `SELECT ${select.join(', ')} FROM stored_mail WHERE folder_id = $1 AND ${range ? 'uid BETWEEN $2 AND $3' : 'uid = ANY($2::int[])'} ORDER BY uid`,
      range ? [folderId, range[0], range[1]] : [folderId, uids],
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
      envelope: row.envelope,
      bodyStructure: row.body_structure,
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
