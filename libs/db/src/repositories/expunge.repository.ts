import { Injectable } from '@nestjs/common';
import { Sql, type Tx } from '../sql';

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

/**
 * EXPUNGE in one statement: when any of the UIDs carries \Deleted, the folder's MODSEQ is bumped
 * under its row lock (mailbox checked), and those messages are removed and recorded under it.
 */
const EXPUNGE_DELETED = `
  WITH bump AS (
    UPDATE folders SET highest_modseq = highest_modseq + 1
     WHERE id = $1 AND mailbox_id = $3
       AND EXISTS (SELECT 1 FROM stored_mail WHERE folder_id = $1 AND uid = ANY($2::int[]) AND '\\Deleted' = ANY(flags))
     RETURNING highest_modseq),
  gone AS (
    DELETE FROM stored_mail s USING bump
     WHERE s.folder_id = $1 AND s.uid = ANY($2::int[]) AND '\\Deleted' = ANY(s.flags)
     RETURNING s.uid, bump.highest_modseq AS modseq),
  recorded AS (
    INSERT INTO expunged_mail (folder_id, uid, modseq) SELECT $1, uid, modseq FROM gone
    ON CONFLICT (folder_id, uid) DO UPDATE SET modseq = EXCLUDED.modseq, expunged_at = now()
    RETURNING uid, modseq)
  SELECT uid, modseq FROM recorded ORDER BY uid`;

/**
 * Expunges: messages leave a folder and their UIDs are recorded with the MODSEQ of the
 * expunge, which QRESYNC's VANISHED and other sessions' change feeds read back. Raw SQL: the
 * delete and the record are one statement over an array of UIDs (EXPUNGE and MOVE of thousands).
 */
@Injectable()
export class ExpungeRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Removes those of `uids` in the mailbox's folder that carry \Deleted, in one round trip (no
   * BEGIN/COMMIT); the UIDs removed, ascending, and the MODSEQ they were removed under.
   */
  async removeDeleted(mailboxId: string, folderId: string, uids: readonly number[]): Promise<{ uids: number[]; modseq: number }> {
    const rows = await this.sql.query<{ uid: number; modseq: string }>(EXPUNGE_DELETED, [folderId, uids, mailboxId]);
    return { uids: rows.map((r) => r.uid), modseq: rows.length ? Number(rows[0].modseq) : 0 };
  }

  /**
   * Removes those of `uids` (with `onlyDeleted`, those carrying \Deleted) under `modseq`, which
   * the caller took from the folder in the same transaction; the UIDs removed, ascending.
   */
  async remove(tx: Tx, folderId: string, uids: readonly number[], modseq: string, onlyDeleted: boolean): Promise<number[]> {
    const gone = await tx.query<{ uid: number }>(EXPUNGE(onlyDeleted), [folderId, uids, modseq]);
    return gone.rows.map((r) => r.uid);
  }
}
