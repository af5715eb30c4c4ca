import { Injectable } from '@nestjs/common';
import { DomainError, isWellFormedText } from '@mailroom/common';
import { DEFAULT_FOLDERS, FolderRepository, Sql, type FolderCounts, type FolderRecord, type Tx } from '@mailroom/db';
import { MailNotifier } from './mail-notifier';

/** The hierarchy separator of folder names, as IMAP shows it. */
export const FOLDER_SEPARATOR = '/';

export type FolderInfo = FolderRecord;

export type FolderStatus = FolderCounts;

/** Longest folder name and deepest hierarchy a user may create. */
const MAX_NAME_LENGTH = 512;
const MAX_DEPTH = 32;

/** Folders of one mailbox. Every method takes the mailbox id: a user only ever sees their own. */
@Injectable()
export class FolderStore {
  constructor(
    private readonly sql: Sql,
    private readonly rows: FolderRepository,
    private readonly notifier: MailNotifier,
  ) {}

  list(mailboxId: string): Promise<FolderInfo[]> {
    return this.rows.list(mailboxId);
  }

  find(mailboxId: string, name: string): Promise<FolderInfo | null> {
    return this.rows.find(mailboxId, name);
  }

  /** Creates the folder; false when it exists already. Throws not_found for an unknown mailbox. */
  async create(mailboxId: string, name: string, specialUse: string | null = null, tx?: Tx): Promise<boolean> {
    if (await this.rows.create(mailboxId, name, specialUse, tx)) return true;
    if (!(await this.rows.mailboxExists(mailboxId, tx))) throw new DomainError('not_found', 'mailbox_not_found', `mailbox ${mailboxId} not found`);
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
    if (await this.rows.anyNamedUnder(mailboxId, name + FOLDER_SEPARATOR)) throw new DomainError('conflict', 'folder_has_children', `folder ${name} has children; delete them first`);
    const folderId = await this.rows.delete(mailboxId, name);
    if (!folderId) throw new DomainError('not_found', 'folder_not_found', `folder ${name} not found`);
    this.notifier.announce({ mailboxId, folderId, kind: 'folder' });
  }

  /**
   * Renames a folder with its inferiors, keeping ids, UIDs and UIDVALIDITY. INBOX is not
   * renamed here (RFC 3501 moves its messages instead; see MailStore.moveAll).
   */
  async rename(mailboxId: string, from: string, to: string): Promise<void> {
    checkFolderName(to);
    if (from === 'INBOX') throw new DomainError('invalid', 'folder_inbox', 'INBOX is renamed by moving its messages');
    if (to === 'INBOX' || to.startsWith(from + FOLDER_SEPARATOR)) throw new DomainError('invalid', 'invalid_folder_name', `cannot rename ${from} to ${to}`);
    const ids = await this.sql.transaction(async (tx) => {
      if (await this.rows.find(mailboxId, to, tx)) throw new DomainError('conflict', 'folder_exists', `folder ${to} exists`);
      const moved = await this.rows.renameTree(tx, mailboxId, from, to, FOLDER_SEPARATOR);
      if (!moved.length) throw new DomainError('not_found', 'folder_not_found', `folder ${from} not found`);
      await this.rows.renameSubscriptions(tx, mailboxId, from, to, FOLDER_SEPARATOR);
      const segments = to.split(FOLDER_SEPARATOR);
      for (let i = 1; i < segments.length; i++) await this.create(mailboxId, segments.slice(0, i).join(FOLDER_SEPARATOR), null, tx);
      return moved;
    });
    for (const folderId of ids) this.notifier.announce({ mailboxId, folderId, kind: 'folder' });
  }

  /** Subscribed names, whether or not a folder has the name now (RFC 3501 6.3.6). */
  subscriptions(mailboxId: string): Promise<string[]> {
    return this.rows.subscriptions(mailboxId);
  }

  /** SUBSCRIBE: only an existing folder's name (as Dovecot); subscribing it again is no error. */
  async subscribe(mailboxId: string, name: string): Promise<void> {
    if (!(await this.rows.find(mailboxId, name))) throw new DomainError('not_found', 'folder_not_found', `folder ${name} not found`);
    await this.rows.subscribe(mailboxId, name);
  }

  /** UNSUBSCRIBE: any name, also of a folder deleted since; a name not subscribed is no error (as Dovecot). */
  async unsubscribe(mailboxId: string, name: string): Promise<void> {
    await this.rows.unsubscribe(mailboxId, name);
  }

  /** STATUS counts, read in one statement so they agree with each other. */
  status(mailboxId: string, name: string): Promise<FolderStatus | null> {
    return this.rows.counts(mailboxId, name);
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
