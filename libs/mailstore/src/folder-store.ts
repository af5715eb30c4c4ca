import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DomainError, isWellFormedText, newId } from '@mailroom/common';
import { DEFAULT_FOLDERS, Sql } from '@mailroom/db';
import { MailNotifier } from './mail-notifier';

/** The hierarchy separator of folder names, as IMAP shows it. */
export const FOLDER_SEPARATOR = '/';

export interface FolderInfo {
  id: string;
  name: string;
  specialUse: string | null;
  subscribed: boolean;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
}

export interface FolderStatus {
  messages: number;
  unseen: number;
  recent: number;
  uidNext: number;
  uidValidity: number;
  highestModseq: number;
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

const FOLDER_COLUMNS = 'id, name, special_use, subscribed, uid_validity, uid_next, highest_modseq';

interface FolderRow {
  id: string;
  name: string;
  special_use: string | null;
  subscribed: boolean;
  uid_validity: number;
  uid_next: number;
  highest_modseq: string;
}

const toFolder = (row: FolderRow): FolderInfo => ({
  id: row.id,
  name: row.name,
  specialUse: row.special_use,
  subscribed: row.subscribed,
  uidValidity: row.uid_validity,
  uidNext: row.uid_next,
  highestModseq: Number(row.highest_modseq),
});

/** Longest folder name and deepest hierarchy a user may create. */
const MAX_NAME_LENGTH = 512;
const MAX_DEPTH = 32;

/** Folders of one mailbox. Every method takes the mailbox id: a user only ever sees their own. */
@Injectable()
export class FolderStore {
  constructor(
    private readonly sql: Sql,
    private readonly notifier: MailNotifier,
  ) {}

  async list(mailboxId: string): Promise<FolderInfo[]> {
    const rows = await this.sql.query<FolderRow>(`SELECT ${FOLDER_COLUMNS} FROM folders WHERE mailbox_id = $1 ORDER BY name`, [mailboxId]);
    return rows.map(toFolder);
  }

  async find(mailboxId: string, name: string): Promise<FolderInfo | null> {
    const rows = await this.sql.query<FolderRow>(`SELECT ${FOLDER_COLUMNS} FROM folders WHERE mailbox_id = $1 AND name = $2`, [mailboxId, name]);
    return rows[0] ? toFolder(rows[0]) : null;
  }

  /** Creates the folder; false when it exists already. Throws not_found for an unknown mailbox. */
  async create(mailboxId: string, name: string, specialUse: string | null = null, client?: PoolClient): Promise<boolean> {
    const run = client ? client.query.bind(client) : this.sql.pool.query.bind(this.sql.pool);
    const result = await run(CREATE_FOLDER, [mailboxId, newId(), name, specialUse]);
    if (result.rowCount) return true;
    const mailbox = await run('SELECT 1 FROM mailboxes WHERE id = $1', [mailboxId]);
    if (!mailbox.rowCount) throw new DomainError('not_found', 'mailbox_not_found', `mailbox ${mailboxId} not found`);
    return false;
  }

  /** The standard folders (INBOX, Bounces, ...) come back on demand when a user deleted one. */
  async createDefault(mailboxId: string, name: string): Promise<boolean> {
    const standard = DEFAULT_FOLDERS.find((f) => f.name === name);
    if (!standard) throw new DomainError('not_found', 'folder_not_found', `folder ${name} not found`);
    return this.create(mailboxId, standard.name, standard.specialUse);
  }

  /** A user's CREATE: superior names are created too (RFC 3501 6.3.3). */
  async createPath(mailboxId: string, name: string): Promise<void> {
    checkFolderName(name);
    const segments = name.split(FOLDER_SEPARATOR);
    for (let i = 1; i < segments.length; i++) await this.create(mailboxId, segments.slice(0, i).join(FOLDER_SEPARATOR));
    if (!(await this.create(mailboxId, name))) throw new DomainError('conflict', 'folder_exists', `folder ${name} exists`);
  }

  /** Deletes a folder and its messages; INBOX and folders with inferiors stay. */
  async delete(mailboxId: string, name: string): Promise<void> {
    if (name === 'INBOX') throw new DomainError('forbidden', 'folder_inbox', 'INBOX cannot be deleted');
    const children = await this.sql.query('SELECT 1 FROM folders WHERE mailbox_id = $1 AND starts_with(name, $2) LIMIT 1', [mailboxId, name + FOLDER_SEPARATOR]);
    if (children.length) throw new DomainError('conflict', 'folder_has_children', `folder ${name} has children; delete them first`);
    const rows = await this.sql.query<{ id: string }>('DELETE FROM folders WHERE mailbox_id = $1 AND name = $2 RETURNING id', [mailboxId, name]);
    if (!rows[0]) throw new DomainError('not_found', 'folder_not_found', `folder ${name} not found`);
    await this.notifier.announce({ mailboxId, folderId: rows[0].id, kind: 'folder' });
  }

  /**
   * Renames a folder with its inferiors, keeping ids, UIDs and UIDVALIDITY. INBOX is not
   * renamed here (RFC 3501 moves its messages instead; see MailStore.moveAll).
   */
  async rename(mailboxId: string, from: string, to: string): Promise<void> {
    checkFolderName(to);
    if (from === 'INBOX') throw new DomainError('invalid', 'folder_inbox', 'INBOX is renamed by moving its messages');
    if (to === 'INBOX' || to.startsWith(from + FOLDER_SEPARATOR)) throw new DomainError('invalid', 'invalid_folder_name', `cannot rename ${from} to ${to}`);
    const ids = await this.sql.transaction(async (client) => {
      const exists = await client.query('SELECT 1 FROM folders WHERE mailbox_id = $1 AND name = $2', [mailboxId, to]);
      if (exists.rowCount) throw new DomainError('conflict', 'folder_exists', `folder ${to} exists`);
      const moved = await client.query<{ id: string }>(
        `UPDATE folders SET name = $3 || substr(name, length($2) + 1)
          WHERE mailbox_id = $1 AND (name = $2 OR starts_with(name, $2 || '/')) RETURNING id`,
        [mailboxId, from, to],
      );
      if (!moved.rowCount) throw new DomainError('not_found', 'folder_not_found', `folder ${from} not found`);
      const segments = to.split(FOLDER_SEPARATOR);
      for (let i = 1; i < segments.length; i++) await this.create(mailboxId, segments.slice(0, i).join(FOLDER_SEPARATOR), null, client);
      return moved.rows.map((r) => r.id);
    });
    for (const folderId of ids) await this.notifier.announce({ mailboxId, folderId, kind: 'folder' });
  }

  async setSubscribed(mailboxId: string, name: string, subscribed: boolean): Promise<void> {
    const rows = await this.sql.query('UPDATE folders SET subscribed = $3 WHERE mailbox_id = $1 AND name = $2 RETURNING id', [mailboxId, name, subscribed]);
    if (!rows.length) throw new DomainError('not_found', 'folder_not_found', `folder ${name} not found`);
  }

  /** STATUS counts, read in one statement so they agree with each other. */
  async status(mailboxId: string, name: string): Promise<FolderStatus | null> {
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
      uidNext: row.uid_next,
      uidValidity: row.uid_validity,
      highestModseq: Number(row.highest_modseq),
    };
  }
}

/**
 * Why a user may not create a folder of this name, or null when they may. Refused: empty levels
 * (`a//b`, a leading or trailing `/`), `.` and `..` as a level (clients that sync to Maildir or
 * any directory tree would walk out of the mailbox), control characters, the IMAP wildcards,
 * and names too long or too deep for any client.
 */
export function folderNameProblem(name: string): string | null {
  if (!name) return 'a folder name cannot be empty';
  if (name.length > MAX_NAME_LENGTH) return `a folder name is at most ${MAX_NAME_LENGTH} characters`;
  const segments = name.split(FOLDER_SEPARATOR);
  if (segments.length > MAX_DEPTH) return `folders nest at most ${MAX_DEPTH} levels deep`;
  if (/[\x00-\x1f\x7f]/.test(name)) return 'a folder name cannot contain control characters';
  if (!isWellFormedText(name)) return 'a folder name must be valid Unicode (it has a lone UTF-16 surrogate)';
  if (/[*%]/.test(name)) return 'a folder name cannot contain the wildcards * and %';
  if (segments.some((s) => s === '.' || s === '..')) return 'a folder name cannot have "." or ".." as a level';
  if (segments.some((s) => !s.trim())) return `a folder name cannot have an empty level (a leading, trailing or doubled "${FOLDER_SEPARATOR}")`;
  if (segments.some((s) => s !== s.trim())) return 'a level of a folder name cannot start or end with white space';
  if (name.toUpperCase() === 'INBOX') return 'INBOX exists';
  return null;
}

/** Names users may create (see folderNameProblem); throws `invalid_folder_name` otherwise. */
export function checkFolderName(name: string): void {
  const problem = folderNameProblem(name);
  if (problem) throw new DomainError('invalid', 'invalid_folder_name', `${problem}: ${JSON.stringify(name.slice(0, 100))}`);
}
