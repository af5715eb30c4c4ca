import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DomainError } from '@mailroom/common';
import { Sql } from '@mailroom/db';
import { FolderStore } from './folder-store';
import { MailNotifier } from './mail-notifier';
import { prepareMessage } from './prepared-message';

export interface AppendInput {
  mailboxId: string;
  /** Exact folder name ('INBOX', 'Bounces', 'Archive/2026'). */
  folder: string;
  raw: Buffer;
  flags?: string[];
  internalDate?: Date;
}

export interface AppendResult {
  folderId: string;
  uid: number;
  uidValidity: number;
}

/**
 * Takes the next UID and MODSEQ of the folder in the same statement that claims them: the row
 * lock serializes writers of one folder, so UIDs never collide and never go backwards.
 */
const CLAIM_UID = `
  UPDATE folders SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1
   WHERE mailbox_id = $1 AND name = $2
   RETURNING id, uid_next - 1 AS uid, highest_modseq AS modseq, uid_validity`;

const INSERT_MAIL = `
  INSERT INTO stored_mail (folder_id, uid, modseq, flags, internal_date, size, subject, from_address,
                           to_addresses, sent_date, message_id_header, raw, envelope, body_structure)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`;

export type FlagOperation = 'set' | 'add' | 'remove';

export interface StoreFlagsInput {
  mailboxId: string;
  folderId: string;
  uids: readonly number[];
  operation: FlagOperation;
  flags: readonly string[];
  /** CONDSTORE: only messages whose MODSEQ is at most this are changed. */
  unchangedSince?: number;
}

export interface StoreFlagsResult {
  /** Every requested message that exists, with its flags after the change. */
  messages: Array<{ uid: number; flags: string[]; modseq: number; changed: boolean }>;
  /** UIDs not changed because they were modified after `unchangedSince`. */
  modified: number[];
}

export interface CopyResult {
  uidValidity: number;
  /** [source UID, new UID] in ascending source order. */
  mapping: Array<[number, number]>;
  /** With move: the source UIDs removed. */
  expunged: number[];
}

/** Upper bound of a stored flag or keyword (IMAP atoms; clients never come close). */
const MAX_FLAG_LENGTH = 128;

/** The mail store: what the inbound MTA files and the IMAP server reads. */
@Injectable()
export class MailStore {
  constructor(
    private readonly sql: Sql,
    private readonly folders: FolderStore,
    private readonly notifier: MailNotifier,
  ) {}

  /**
   * Files one message into a folder of the mailbox (a missing standard folder is created):
   * UID, MODSEQ, precomputed ENVELOPE/BODYSTRUCTURE and raw bytes in one transaction, then
   * every IMAP session watching the folder, in any process, is told.
   */
  async append(input: AppendInput): Promise<AppendResult> {
    const message = prepareMessage(input.raw);
    const flags = normalizeStoredFlags(input.flags ?? []);
    const internalDate = input.internalDate ?? new Date();
    const insert = async (): Promise<AppendResult | null> =>
      this.sql.transaction(async (client) => {
        const claimed = await client.query<{ id: string; uid: number; modseq: string; uid_validity: number }>(CLAIM_UID, [input.mailboxId, input.folder]);
        const folder = claimed.rows[0];
        if (!folder) return null;
        await client.query(INSERT_MAIL, [
          folder.id,
          folder.uid,
          folder.modseq,
          flags,
          internalDate,
          message.raw.length,
          message.subject,
          message.fromAddress,
          message.toAddresses,
          message.sentDate,
          message.messageIdHeader,
          message.raw,
          JSON.stringify(message.envelope),
          JSON.stringify(message.bodyStructure),
        ]);
        return { folderId: folder.id, uid: folder.uid, uidValidity: folder.uid_validity };
      });
    let result = await insert();
    if (!result) {
      await this.folders.createDefault(input.mailboxId, input.folder);
      result = await insert();
      if (!result) throw new DomainError('not_found', 'folder_not_found', `folder ${input.folder} not found`);
    }
    await this.notifier.announce({ mailboxId: input.mailboxId, folderId: result.folderId, kind: 'append' });
    return result;
  }

  /**
   * Changes flags of the given messages in one statement. Only messages whose flags really
   * change get the new MODSEQ, and the folder's MODSEQ moves only when one does.
   */
  async storeFlags(input: StoreFlagsInput): Promise<StoreFlagsResult> {
    const flags = normalizeStoredFlags(input.flags);
    if (!input.uids.length) return { messages: [], modified: [] };
    const expression = FLAG_EXPRESSIONS[input.operation];
    const guard = input.unchangedSince === undefined ? '' : `AND s.modseq <= ${Math.floor(input.unchangedSince)}`;
    const rows = await this.sql.query<{ uid: number; flags: string[]; modseq: string; changed: boolean; before: string }>(
      `WITH target AS (
         SELECT s.uid FROM stored_mail s
          WHERE s.folder_id = $1 AND s.uid = ANY($2::int[]) AND ${expression.changes} ${guard}),
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
        WHERE s.folder_id = $1 AND s.uid = ANY($2::int[])
        ORDER BY s.uid`,
      [input.folderId, input.uids, flags],
    );
    const messages = rows.map((r) => ({ uid: r.uid, flags: r.flags, modseq: Number(r.modseq), changed: r.changed }));
    const modified = input.unchangedSince === undefined ? [] : rows.filter((r) => !r.changed && Number(r.before) > input.unchangedSince!).map((r) => r.uid);
    if (messages.some((m) => m.changed)) await this.notifier.announce({ mailboxId: input.mailboxId, folderId: input.folderId, kind: 'flags' });
    return { messages, modified };
  }

  /** Removes the messages of `uids` that carry \Deleted; returns the UIDs removed. */
  async expunge(mailboxId: string, folderId: string, uids: readonly number[]): Promise<number[]> {
    if (!uids.length) return [];
    const removed = await this.sql.transaction(async (client) => {
      const candidates = await client.query<{ uid: number }>(
        `SELECT uid FROM stored_mail WHERE folder_id = $1 AND uid = ANY($2::int[]) AND '\\Deleted' = ANY(flags) LIMIT 1`,
        [folderId, uids],
      );
      if (!candidates.rowCount) return [];
      const modseq = await this.bumpModseq(client, folderId);
      const gone = await client.query<{ uid: number }>(EXPUNGE(true), [folderId, uids, modseq]);
      return gone.rows.map((r) => r.uid);
    });
    if (removed.length) await this.notifier.announce({ mailboxId, folderId, kind: 'expunge' });
    return removed;
  }

  /**
   * Copies messages (flags, dates and bytes) into another folder of the same mailbox with new
   * UIDs taken in one block; with `move`, removes them from the source in the same transaction.
   * Both folder rows are locked in id order, so concurrent copies in both directions cannot
   * deadlock.
   */
  async copy(input: { mailboxId: string; fromFolderId: string; uids: readonly number[]; toFolderId: string; move?: boolean }): Promise<CopyResult> {
    const result = await this.sql.transaction(async (client) => {
      const locked = await client.query<{ id: string; uid_validity: number }>(
        'SELECT id, uid_validity FROM folders WHERE id = ANY($1::uuid[]) AND mailbox_id = $2 ORDER BY id FOR UPDATE',
        [[input.fromFolderId, input.toFolderId], input.mailboxId],
      );
      const target = locked.rows.find((r) => r.id === input.toFolderId);
      if (!target || !locked.rows.some((r) => r.id === input.fromFolderId)) throw new DomainError('not_found', 'folder_not_found', 'folder not found');
      const source = await client.query<{ uid: number }>('SELECT uid FROM stored_mail WHERE folder_id = $1 AND uid = ANY($2::int[]) ORDER BY uid', [input.fromFolderId, input.uids]);
      const uids = source.rows.map((r) => r.uid);
      if (!uids.length) return { uidValidity: target.uid_validity, mapping: [], expunged: [] };
      const claimed = await client.query<{ first: number; modseq: string }>(
        'UPDATE folders SET uid_next = uid_next + $2, highest_modseq = highest_modseq + 1 WHERE id = $1 RETURNING uid_next - $2 AS first, highest_modseq AS modseq',
        [input.toFolderId, uids.length],
      );
      const { first, modseq } = claimed.rows[0];
      await client.query(
        `INSERT INTO stored_mail (folder_id, uid, modseq, flags, internal_date, size, subject, from_address, to_addresses,
                                  sent_date, message_id_header, raw, envelope, body_structure)
         SELECT $2, $3 + (row_number() OVER (ORDER BY uid))::int - 1, $4, flags, internal_date, size, subject, from_address,
                to_addresses, sent_date, message_id_header, raw, envelope, body_structure
           FROM stored_mail WHERE folder_id = $1 AND uid = ANY($5::int[])`,
        [input.fromFolderId, input.toFolderId, first, modseq, uids],
      );
      let expunged: number[] = [];
      if (input.move) {
        const sourceModseq = await this.bumpModseq(client, input.fromFolderId);
        expunged = (await client.query<{ uid: number }>(EXPUNGE(false), [input.fromFolderId, uids, sourceModseq])).rows.map((r) => r.uid);
      }
      return { uidValidity: target.uid_validity, mapping: uids.map((uid, i): [number, number] => [uid, first + i]), expunged };
    });
    if (result.mapping.length) {
      await this.notifier.announce({ mailboxId: input.mailboxId, folderId: input.toFolderId, kind: 'append' });
      if (input.move) await this.notifier.announce({ mailboxId: input.mailboxId, folderId: input.fromFolderId, kind: 'expunge' });
    }
    return result;
  }

  private async bumpModseq(client: PoolClient, folderId: string): Promise<string> {
    const rows = await client.query<{ modseq: string }>('UPDATE folders SET highest_modseq = highest_modseq + 1 WHERE id = $1 RETURNING highest_modseq AS modseq', [folderId]);
    if (!rows.rowCount) throw new DomainError('not_found', 'folder_not_found', 'folder not found');
    return rows.rows[0].modseq;
  }
}

const FLAG_EXPRESSIONS: Record<FlagOperation, { value: string; changes: string }> = {
  set: { value: '$3::text[]', changes: 'NOT (s.flags @> $3::text[] AND $3::text[] @> s.flags)' },
  add: { value: 'ARRAY(SELECT DISTINCT x FROM unnest(s.flags || $3::text[]) x)', changes: 'NOT (s.flags @> $3::text[])' },
  remove: { value: 'ARRAY(SELECT x FROM unnest(s.flags) x WHERE x <> ALL($3::text[]))', changes: 's.flags && $3::text[]' },
};

/** Removes the messages (all of them, or those in `uids`) and records their UIDs as expunged. */
const EXPUNGE = (onlyDeleted: boolean) => `
  WITH gone AS (
    DELETE FROM stored_mail WHERE folder_id = $1 AND uid = ANY($2::int[]) ${onlyDeleted ? `AND '\\Deleted' = ANY(flags)` : ''}
    RETURNING uid),
  recorded AS (
    INSERT INTO expunged_mail (folder_id, uid, modseq) SELECT $1, uid, $3 FROM gone
    ON CONFLICT (folder_id, uid) DO UPDATE SET modseq = EXCLUDED.modseq, expunged_at = now()
    RETURNING uid)
  SELECT uid FROM recorded ORDER BY uid`;

const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

/**
 * System flags in their canonical spelling (IMAP compares them case-insensitively), keywords as
 * given, no duplicates; \Recent is session state and never stored.
 */
export function normalizeStoredFlags(flags: readonly string[]): string[] {
  const out: string[] = [];
  for (const flag of flags) {
    let value = flag;
    if (flag.startsWith('\\')) {
      const system = SYSTEM_FLAGS.find((f) => f.toLowerCase() === flag.toLowerCase());
      if (!system) continue;
      value = system;
    } else if (!/^[\x21-\x7e]+$/.test(flag) || /[(){%*"\\\]]/.test(flag) || flag.length > MAX_FLAG_LENGTH) {
      throw new DomainError('invalid', 'invalid_flag', `"${flag}" is not a valid IMAP keyword`);
    }
    if (!out.includes(value)) out.push(value);
  }
  return out;
}
