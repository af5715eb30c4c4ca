import { Injectable } from '@nestjs/common';
import { newId } from '@mailroom/common';
import { Sql, type Tx } from '../sql';

/** A folder of a mailbox with the counters IMAP shows. */
export interface FolderRecord {
  id: string;
  name: string;
  specialUse: string | null;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
}

/** STATUS counts of one folder. */
export interface FolderCounts {
  messages: number;
  unseen: number;
  recent: number;
  uidNext: number;
  uidValidity: number;
  highestModseq: number;
}

/** A folder's counters, as a selected IMAP session tracks them. */
export interface FolderCounters {
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
}

/** What SELECT reports: every UID in ascending order with the counters they belong to. */
export interface FolderSnapshot extends FolderCounters {
  uids: number[];
  recentFrom: number;
  firstUnseenUid: number | null;
}

/**
 * New UIDVALIDITY for a folder: the current second, but always above every value the mailbox
 * ever handed out, so a folder deleted and created again under the same name (even within one
 * second) never shows a client its old UIDs as valid.
 */
const CREATE_FOLDER = `
  WITH v AS (
    UPDATE mailboxes m
       SET last_uid_validity = GREATEST(
             extract(epoch FROM clock_timestamp())::int,
             m.last_uid_validity + 1,
             COALESCE((SELECT max(uid_validity) FROM folders WHERE mailbox_id = m.id), 0) + 1)
     WHERE m.id = $1
     RETURNING m.last_uid_validity AS uv)
  INSERT INTO folders (id, mailbox_id, name, special_use, uid_validity)
  SELECT $2, $1, $3, $4, uv FROM v
  ON CONFLICT (mailbox_id, name) DO NOTHING
  RETURNING id`;

/** The counters of a folder row (MODSEQ is a bigint, which node-postgres gives as a string). */
export const countersOf = (row: { uid_validity: number; uid_next: number; highest_modseq: string }): FolderCounters => ({
  uidValidity: row.uid_validity,
  uidNext: row.uid_next,
  highestModseq: Number(row.highest_modseq),
});

/** Keywords (flags not starting with a backslash) on the folder's messages changed after `since`, at most 200, as column `flag`. */
export const KEYWORDS_CHANGED_SINCE = (folder: string, since: string) =>
  `SELECT DISTINCT k AS flag FROM stored_mail s, unnest(s.flags) k WHERE s.folder_id = ${folder} AND s.modseq > ${since} AND NOT starts_with(k, '\\') ORDER BY 1 LIMIT 200`;

/** What a snapshot reads of folder `f`: counters, \Recent mark, every UID, the first unseen. */
const SNAPSHOT_COLUMNS = `f.uid_validity, f.uid_next, f.highest_modseq, f.recent_uid_next,
  (SELECT array_agg(uid ORDER BY uid) FROM stored_mail WHERE folder_id = f.id) AS uids,
  (SELECT uid FROM stored_mail WHERE folder_id = f.id AND NOT ('\\Seen' = ANY(flags)) ORDER BY uid LIMIT 1) AS first_unseen`;

interface SnapshotRow {
  uid_validity: number;
  uid_next: number;
  highest_modseq: string;
  recent_uid_next: number;
  uids: number[] | null;
  first_unseen: number | null;
}

const snapshotOf = (row: SnapshotRow): FolderSnapshot => ({ ...countersOf(row), recentFrom: row.recent_uid_next, uids: row.uids ?? [], firstUnseenUid: row.first_unseen });

const FOLDER_COLUMNS = 'id, name, special_use, uid_validity, uid_next, highest_modseq';

interface FolderRow {
  id: string;
  name: string;
  special_use: string | null;
  uid_validity: number;
  uid_next: number;
  highest_modseq: string;
}

const toFolder = (row: FolderRow): FolderRecord => ({
  id: row.id,
  name: row.name,
  specialUse: row.special_use,
  uidValidity: row.uid_validity,
  uidNext: row.uid_next,
  highestModseq: Number(row.highest_modseq),
});

/**
 * IMAP folders and their UID/MODSEQ counters. Raw SQL: every IMAP command and every inbound
 * message goes through here, and the counters are claimed in the statement that reads them (the
 * row lock serializes writers of one folder), which the ORM cannot express. Every read takes the
 * mailbox id with the folder id, so a folder id alone never reaches another mailbox's folder.
 */
@Injectable()
export class FolderRepository {
  constructor(private readonly sql: Sql) {}

  async list(mailboxId: string): Promise<FolderRecord[]> {
    const rows = await this.sql.query<FolderRow>(`SELECT ${FOLDER_COLUMNS} FROM folders WHERE mailbox_id = $1 ORDER BY name`, [mailboxId]);
    return rows.map(toFolder);
  }

  async find(mailboxId: string, name: string, tx?: Tx): Promise<FolderRecord | null> {
    const rows = await this.run<FolderRow>(tx, `SELECT ${FOLDER_COLUMNS} FROM folders WHERE mailbox_id = $1 AND name = $2`, [mailboxId, name]);
    return rows[0] ? toFolder(rows[0]) : null;
  }

  /** Creates the folder with a fresh UIDVALIDITY; false when it exists or the mailbox does not. */
  async create(mailboxId: string, name: string, specialUse: string | null, tx?: Tx): Promise<boolean> {
    return (await this.run(tx, CREATE_FOLDER, [mailboxId, newId(), name, specialUse])).length > 0;
  }

  async mailboxExists(mailboxId: string, tx?: Tx): Promise<boolean> {
    return (await this.run(tx, 'SELECT 1 FROM mailboxes WHERE id = $1', [mailboxId])).length > 0;
  }

  /** Whether a folder named `prefix`... exists (the inferiors of a folder are `name/`...). */
  async anyNamedUnder(mailboxId: string, prefix: string): Promise<boolean> {
    return (await this.sql.query('SELECT 1 FROM folders WHERE mailbox_id = $1 AND starts_with(name, $2) LIMIT 1', [mailboxId, prefix])).length > 0;
  }

  /** Deletes the folder (its messages go with it); its id, or null when there is none. */
  async delete(mailboxId: string, name: string): Promise<string | null> {
    const rows = await this.sql.query<{ id: string }>('DELETE FROM folders WHERE mailbox_id = $1 AND name = $2 RETURNING id', [mailboxId, name]);
    return rows[0]?.id ?? null;
  }

  /** Renames `from` and every folder under `from` + `separator`; the ids of those renamed. */
  async renameTree(tx: Tx, mailboxId: string, from: string, to: string, separator: string): Promise<string[]> {
    const moved = await tx.query<{ id: string }>(
      `UPDATE folders SET name = $3 || substr(name, length($2) + 1)
        WHERE mailbox_id = $1 AND (name = $2 OR starts_with(name, $2 || $4)) RETURNING id`,
      [mailboxId, from, to, separator],
    );
    return moved.rows.map((r) => r.id);
  }

  /** Subscribed names of the mailbox (folders or not), in name order. */
  async subscriptions(mailboxId: string): Promise<string[]> {
    const rows = await this.sql.query<{ name: string }>('SELECT name FROM folder_subscriptions WHERE mailbox_id = $1 ORDER BY name', [mailboxId]);
    return rows.map((r) => r.name);
  }

  /** Subscribes a name; false when it was subscribed already. */
  async subscribe(mailboxId: string, name: string, tx?: Tx): Promise<boolean> {
    return (await this.run(tx, 'INSERT INTO folder_subscriptions (mailbox_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING name', [mailboxId, name])).length > 0;
  }

  /** Drops a subscription; false when the name was not subscribed. */
  async unsubscribe(mailboxId: string, name: string): Promise<boolean> {
    return (await this.sql.query('DELETE FROM folder_subscriptions WHERE mailbox_id = $1 AND name = $2 RETURNING name', [mailboxId, name])).length > 0;
  }

  /** RENAME carries the subscriptions of `from` and its inferiors to the new names. */
  async renameSubscriptions(tx: Tx, mailboxId: string, from: string, to: string, separator: string): Promise<void> {
    await tx.query(
      `UPDATE folder_subscriptions SET name = $3 || substr(name, length($2) + 1)
        WHERE mailbox_id = $1 AND (name = $2 OR starts_with(name, $2 || $4))
          AND NOT EXISTS (SELECT 1 FROM folder_subscriptions t WHERE t.mailbox_id = $1 AND t.name = $3 || substr(folder_subscriptions.name, length($2) + 1))`,
      [mailboxId, from, to, separator],
    );
  }

  /** STATUS counts, read in one statement so they agree with each other. */
  async counts(mailboxId: string, name: string): Promise<FolderCounts | null> {
    const rows = await this.sql.query<{ messages: string; unseen: string; recent: string; uid_next: number; uid_validity: number; highest_modseq: string }>(
      `SELECT f.uid_next, f.uid_validity, f.highest_modseq,
              (SELECT count(*) FROM stored_mail s WHERE s.folder_id = f.id) AS messages,
              (SELECT count(*) FROM stored_mail s WHERE s.folder_id = f.id AND NOT ('\\Seen' = ANY(s.flags))) AS unseen,
              (SELECT count(*) FROM stored_mail s WHERE s.folder_id = f.id AND s.uid >= f.recent_uid_next) AS recent
         FROM folders f WHERE f.mailbox_id = $1 AND f.name = $2`,
      [mailboxId, name],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      messages: Number(row.messages),
      unseen: Number(row.unseen),
      recent: Number(row.recent),
      ...countersOf(row),
    };
  }

  async counters(mailboxId: string, folderId: string): Promise<FolderCounters | null> {
    const rows = await this.sql.query<{ uid_validity: number; uid_next: number; highest_modseq: string }>(
      'SELECT uid_validity, uid_next, highest_modseq FROM folders WHERE id = $1 AND mailbox_id = $2',
      [folderId, mailboxId],
    );
    return rows[0] ? countersOf(rows[0]) : null;
  }

  /** Every UID, the counters and the first message without \Seen, in one snapshot. */
  async snapshot(mailboxId: string, folderId: string): Promise<FolderSnapshot | null> {
    const rows = await this.sql.query<SnapshotRow>(`SELECT ${SNAPSHOT_COLUMNS} FROM folders f WHERE f.id = $1 AND f.mailbox_id = $2`, [folderId, mailboxId]);
    return rows[0] ? snapshotOf(rows[0]) : null;
  }

  /**
   * What SELECT needs, in one statement: the folder by name with its snapshot; with
   * `claimRecent`, the \Recent messages taken for the caller when any are still unclaimed (as
   * claimRecent, the row locked only then); and the keywords on messages changed after
   * `keywordsSince.modseq` when the folder is still `keywordsSince.folderId`, else all of them.
   */
  async open(
    mailboxId: string,
    name: string,
    options: { claimRecent: boolean; keywordsSince?: { folderId: string; modseq: number } },
  ): Promise<{ folderId: string; snapshot: FolderSnapshot; claim: { from: number; to: number } | null; keywords: string[] } | null> {
    const rows = await this.sql.query<SnapshotRow & { id: string; claim_from: number | null; claim_to: number | null; keywords: string[] }>(
      `WITH f AS (SELECT id, uid_validity, uid_next, highest_modseq, recent_uid_next FROM folders WHERE mailbox_id = $1 AND name = $2),
       claim AS (
         UPDATE folders u SET recent_uid_next = u.uid_next
           FROM (SELECT id, recent_uid_next AS old FROM folders
                  WHERE id = (SELECT id FROM f) AND $3::boolean AND recent_uid_next < uid_next FOR UPDATE) o
          WHERE u.id = o.id RETURNING o.old, u.recent_uid_next AS mark)
       SELECT f.id, ${SNAPSHOT_COLUMNS}, (SELECT old FROM claim) AS claim_from, (SELECT mark FROM claim) AS claim_to,
              ARRAY(${KEYWORDS_CHANGED_SINCE('f.id', 'CASE WHEN f.id = $4::uuid THEN $5::bigint ELSE 0 END')}) AS keywords
         FROM f`,
      [mailboxId, name, options.claimRecent, options.keywordsSince?.folderId ?? null, options.keywordsSince?.modseq ?? 0],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      folderId: row.id,
      snapshot: snapshotOf(row),
      claim: row.claim_from === null || row.claim_to === null ? null : { from: row.claim_from, to: row.claim_to },
      keywords: row.keywords,
    };
  }

  /** Moves the folder's \Recent mark to UIDNEXT; the old mark and the new one. */
  async claimRecent(mailboxId: string, folderId: string): Promise<{ from: number; to: number } | null> {
    const rows = await this.sql.query<{ old: number; mark: number }>(
      `UPDATE folders f SET recent_uid_next = f.uid_next
         FROM (SELECT recent_uid_next AS old FROM folders WHERE id = $1 AND mailbox_id = $2 FOR UPDATE) o
        WHERE f.id = $1 AND f.mailbox_id = $2 RETURNING o.old, f.recent_uid_next AS mark`,
      [folderId, mailboxId],
    );
    return rows[0] ? { from: rows[0].old, to: rows[0].mark } : null;
  }

  /**
   * Numbers `count` messages for the folder `name` of the mailbox, each with a UID and a MODSEQ of
   * its own (consecutive: the first and first + 1 …), in one statement that locks the folder's
   * row until the transaction ends; null when there is no such folder.
   */
  async claimUidRun(tx: Tx, mailboxId: string, name: string, count: number): Promise<{ folderId: string; firstUid: number; firstModseq: bigint; uidValidity: number } | null> {
    const claimed = await tx.query<{ id: string; first_uid: number; first_modseq: string; uid_validity: number }>(
      `UPDATE folders SET uid_next = uid_next + $3, highest_modseq = highest_modseq + $3
        WHERE mailbox_id = $1 AND name = $2
        RETURNING id, uid_next - $3 AS first_uid, highest_modseq - $3 + 1 AS first_modseq, uid_validity`,
      [mailboxId, name, count],
    );
    const row = claimed.rows[0];
    return row ? { folderId: row.id, firstUid: row.first_uid, firstModseq: BigInt(row.first_modseq), uidValidity: row.uid_validity } : null;
  }

  /** Takes `count` consecutive UIDs and a new MODSEQ of the folder (locked by the caller). */
  async claimUids(tx: Tx, folderId: string, count: number): Promise<{ first: number; modseq: string }> {
    const claimed = await tx.query<{ first: number; modseq: string }>(
      'UPDATE folders SET uid_next = uid_next + $2, highest_modseq = highest_modseq + 1 WHERE id = $1 RETURNING uid_next - $2 AS first, highest_modseq AS modseq',
      [folderId, count],
    );
    return claimed.rows[0];
  }

  /** A new MODSEQ for the folder; null when there is no such folder. */
  async bumpModseq(tx: Tx, folderId: string): Promise<string | null> {
    const rows = await tx.query<{ modseq: string }>('UPDATE folders SET highest_modseq = highest_modseq + 1 WHERE id = $1 RETURNING highest_modseq AS modseq', [folderId]);
    return rows.rows[0]?.modseq ?? null;
  }

  /** Locks the mailbox's folders among `folderIds` in id order (so two lockers cannot deadlock). */
  async lock(tx: Tx, mailboxId: string, folderIds: readonly string[]): Promise<Array<{ id: string; uidValidity: number }>> {
    const locked = await tx.query<{ id: string; uid_validity: number }>(
      'SELECT id, uid_validity FROM folders WHERE id = ANY($1::uuid[]) AND mailbox_id = $2 ORDER BY id FOR UPDATE',
      [folderIds, mailboxId],
    );
    return locked.rows.map((r) => ({ id: r.id, uidValidity: r.uid_validity }));
  }

  private async run<T extends object>(tx: Tx | undefined, text: string, values: unknown[]): Promise<T[]> {
    return tx ? (await tx.query<T>(text, values)).rows : this.sql.query<T>(text, values);
  }
}
