import { Injectable } from '@nestjs/common';
import { DomainError } from '@mailroom/common';
import { hashPassword, verifyPassword } from '@mailroom/crypto';
import { MailboxRepository } from '@mailroom/db';
import {
  FolderStore,
  MailNotifier,
  MailReader,
  MailStore,
  type CopyResult,
  type FolderChange,
  type FolderChanges,
  type FolderInfo,
  type FolderState,
  type FolderStatus,
  type MessageFilter,
  type MessageColumns,
  type StoreFlagsInput,
  type StoreFlagsResult,
  type StoredMessage,
} from '@mailroom/mailstore';
import { ImapMetrics } from '../imap-metrics';
import { CredentialCache } from './credential-cache';

export interface ImapUser {
  mailboxId: string;
  address: string;
}

/**
 * The one seam between the IMAP protocol core and the mail store: every command reaches
 * storage through these methods, always with the logged-in user, whose mailbox id scopes every
 * read and write down to the SQL (a folder id alone reaches nothing).
 */
@Injectable()
export class ImapStorage {
  private dummyHash?: Promise<string>;
  private readonly keywordCache = new Map<string, { folderId: string; keywords: string[]; modseq: number }>();
  /** Passwords verified within the last minute (IMAP and POP3 logins alike). */
  readonly credentials = new CredentialCache();

  constructor(
    private readonly mailboxes: MailboxRepository,
    private readonly folders: FolderStore,
    private readonly reader: MailReader,
    private readonly store: MailStore,
    private readonly notifier: MailNotifier,
    private readonly metrics: ImapMetrics,
  ) {}

  /**
   * The mailbox for this address and password, or null. Unknown names cost a hash too. A password
   * verified against the same stored hash within the last minute skips scrypt (CredentialCache).
   */
  async authenticate(address: string, password: string): Promise<ImapUser | null> {
    const normalized = address.trim().toLowerCase();
    const mailbox = normalized.length <= 320 ? await this.mailboxes.findByAddress(normalized) : null;
    if (!mailbox) {
      this.dummyHash ??= hashPassword('not a real password, only spends the time a real check takes');
      await verifyPassword(password, await this.dummyHash);
      return null;
    }
    const user = { mailboxId: mailbox.id, address: mailbox.address };
    if (this.credentials.matches(mailbox.id, mailbox.passwordHash, password)) {
      this.metrics.loginCache.inc({ result: 'hit' });
      return user;
    }
    this.metrics.loginCache.inc({ result: 'miss' });
    if (!(await verifyPassword(password, mailbox.passwordHash))) return null;
    this.credentials.remember(mailbox.id, mailbox.passwordHash, password);
    return user;
  }

  listFolders(user: ImapUser): Promise<FolderInfo[]> {
    return this.folders.list(user.mailboxId);
  }

  findFolder(user: ImapUser, name: string): Promise<FolderInfo | null> {
    return this.folders.find(user.mailboxId, name);
  }

  async requireFolder(user: ImapUser, name: string): Promise<FolderInfo> {
    const folder = await this.folders.find(user.mailboxId, name);
    if (!folder) throw new DomainError('not_found', 'folder_not_found', `no folder named ${name}`);
    return folder;
  }

  createFolder(user: ImapUser, name: string): Promise<void> {
    return this.folders.createPath(user.mailboxId, name);
  }

  deleteFolder(user: ImapUser, name: string): Promise<void> {
    return this.folders.delete(user.mailboxId, name);
  }

  /** RENAME; renaming INBOX moves its messages into the new folder and leaves INBOX empty. */
  async renameFolder(user: ImapUser, from: string, to: string): Promise<void> {
    if (from !== 'INBOX') return this.folders.rename(user.mailboxId, from, to);
    const inbox = await this.requireFolder(user, 'INBOX');
    await this.folders.createPath(user.mailboxId, to);
    const target = await this.requireFolder(user, to);
    const snapshot = await this.reader.snapshot(user.mailboxId, inbox.id);
    if (snapshot?.uids.length) await this.store.copy({ mailboxId: user.mailboxId, fromFolderId: inbox.id, toFolderId: target.id, uids: snapshot.uids, move: true });
  }

  setSubscribed(user: ImapUser, name: string, subscribed: boolean): Promise<void> {
    return subscribed ? this.folders.subscribe(user.mailboxId, name) : this.folders.unsubscribe(user.mailboxId, name);
  }

  /** Subscribed names, folders or not. */
  subscriptions(user: ImapUser): Promise<string[]> {
    return this.folders.subscriptions(user.mailboxId);
  }

  status(user: ImapUser, name: string): Promise<FolderStatus | null> {
    return this.folders.status(user.mailboxId, name);
  }

  append(user: ImapUser, folder: string, raw: Buffer, flags: string[], internalDate?: Date) {
    return this.store.append({ mailboxId: user.mailboxId, folder, raw, flags, internalDate });
  }

  snapshot(user: ImapUser, folderId: string) {
    return this.reader.snapshot(user.mailboxId, folderId);
  }

  state(user: ImapUser, folderId: string): Promise<FolderState | null> {
    return this.reader.state(user.mailboxId, folderId);
  }

  changesSince(user: ImapUser, folderId: string, modseq: number): Promise<FolderChanges | null> {
    return this.reader.changesSince(user.mailboxId, folderId, modseq);
  }

  claimRecent(user: ImapUser, folderId: string): Promise<{ from: number; to: number }> {
    return this.reader.claimRecent(user.mailboxId, folderId);
  }

  firstUnseenUid(user: ImapUser, folderId: string): Promise<number | null> {
    return this.reader.firstUnseenUid(user.mailboxId, folderId);
  }

  /**
   * SELECT and EXAMINE in one round trip: the folder's snapshot, with `claimRecent` its \Recent
   * messages taken for the session, and the keywords in use for FLAGS. A keyword can only appear
   * with a change that raises the folder's MODSEQ, so the set read once is kept (per mailbox and
   * name, with the folder's id and the MODSEQ it was read at) and later only messages changed
   * since are looked at; a folder of that name created anew is read whole. A keyword no message
   * carries any more may stay listed (as Dovecot keeps them): harmless.
   */
  async open(user: ImapUser, name: string, options: { claimRecent: boolean }) {
    const key = `${user.mailboxId}/${name}`;
    const cached = this.keywordCache.get(key);
    const opened = await this.reader.open(user.mailboxId, name, { claimRecent: options.claimRecent, keywordsSince: cached && { folderId: cached.folderId, modseq: cached.modseq } });
    if (!opened) return null;
    const keywords = cached?.folderId === opened.folderId ? [...new Set([...cached.keywords, ...opened.keywords])] : opened.keywords;
    if (this.keywordCache.size > 10_000) this.keywordCache.clear();
    this.keywordCache.set(key, { folderId: opened.folderId, keywords, modseq: opened.snapshot.highestModseq });
    return { ...opened, keywords };
  }

  messages(user: ImapUser, folderId: string, uids: readonly number[], columns: MessageColumns): Promise<StoredMessage[]> {
    return this.reader.messages(user.mailboxId, folderId, uids, columns);
  }

  search(user: ImapUser, folderId: string, filter: MessageFilter, largestUid: number): Promise<Array<{ uid: number; modseq: number }>> {
    return this.reader.search(user.mailboxId, folderId, filter, largestUid);
  }

  storeFlags(user: ImapUser, input: Omit<StoreFlagsInput, 'mailboxId'>): Promise<StoreFlagsResult> {
    return this.store.storeFlags({ ...input, mailboxId: user.mailboxId });
  }

  expunge(user: ImapUser, folderId: string, uids: readonly number[]): Promise<number[]> {
    return this.store.expunge(user.mailboxId, folderId, uids);
  }

  /** POP3's DELE + QUIT: removes the messages whatever their flags (DELE never sets \Deleted). */
  remove(user: ImapUser, folderId: string, uids: readonly number[]): Promise<number[]> {
    return this.store.expunge(user.mailboxId, folderId, uids, { deletedOnly: false });
  }

  copy(user: ImapUser, fromFolderId: string, uids: readonly number[], toFolderId: string, move: boolean): Promise<CopyResult> {
    return this.store.copy({ mailboxId: user.mailboxId, fromFolderId, uids, toFolderId, move });
  }

  watch(folderId: string, listener: (change: FolderChange) => void): () => void {
    return this.notifier.watch(folderId, listener);
  }

  /** Where the changes heard so far end (MailNotifier.mark). */
  changeMark(): number {
    return this.notifier.mark();
  }

  /** Whether a change of the folder was (or may have been) heard after `mark`. */
  changedSince(folderId: string, mark: number): boolean {
    return this.notifier.changedSince(folderId, mark);
  }
}
