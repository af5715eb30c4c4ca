import { Injectable } from '@nestjs/common';
import type { Tx } from '../sql';
import { OWNED_FOLDER } from './stored-mail.repository';

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
 * Expunges: messages leave a folder and their UIDs are recorded with the MODSEQ of the
 * expunge, which QRESYNC's VANISHED and other sessions' change feeds read back. Raw SQL: the
 * delete and the record are one statement over an array of UIDs (EXPUNGE and MOVE of thousands).
 */
@Injectable()
export class ExpungeRepository {
  /** Whether any of `uids` in the mailbox's folder carries \Deleted. */
  async anyDeleted(tx: Tx, mailboxId: string, folderId: string, uids: readonly number[]): Promise<boolean> {
    const rows = await tx.query(
      `SELECT 1 FROM stored_mail WHERE folder_id = ${OWNED_FOLDER('$1', '$3')} AND uid = ANY($2::int[]) AND '\\Deleted' = ANY(flags) LIMIT 1`,
      [folderId, uids, mailboxId],
    );
    return (rows.rowCount ?? 0) > 0;
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
