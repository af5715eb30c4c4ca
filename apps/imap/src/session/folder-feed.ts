import type { ChangedMessage, FlagChange, FolderChange, FolderChanges } from '@mailroom/mailstore';
import type { ImapStorage, ImapUser } from '../storage/imap-storage';

/** Changes kept in memory per folder; a session further behind reads the database itself. */
const MAX_ENTRIES = 20_000;

/** flags null: expunged. */
type Entry = ChangedMessage;

const byModseq = (a: Entry, b: Entry) => a.modseq - b.modseq;

/**
 * The recent changes of one folder, shared by every session of this process that has it
 * selected: a change notification makes the feed stale, and the next session to sync reads
 * the changes once for all of them (one query per burst of changes, not one per session). A
 * change made in this process that comes with its messages and follows on from the feed's head
 * is taken as it is: a session's own STORE, APPEND or EXPUNGE costs no read back.
 */
export class FolderFeed {
  private entries: Entry[] = [];
  /** The log holds every change with base < MODSEQ <= head. */
  private base: number;
  private head: number;
  private uidValidity = 0;
  private stale = false;
  private refreshing: Promise<boolean> | null = null;
  private gone = false;
  readonly listeners = new Set<() => void>();
  private unwatch: (() => void) | null = null;

  constructor(
    private readonly user: ImapUser,
    readonly folderId: string,
    private readonly storage: ImapStorage,
    modseq: number,
    /** Set when the folder is known to be as of `modseq` (nothing announced since): no first read. */
    fresh?: { uidValidity: number },
  ) {
    this.base = modseq;
    this.head = modseq;
    this.stale = !fresh;
    this.uidValidity = fresh?.uidValidity ?? 0;
    this.unwatch = storage.watch(folderId, (change) => {
      if (!this.advance(change)) this.stale = true;
      for (const listener of [...this.listeners]) listener();
    });
  }

  get mailboxId(): string {
    return this.user.mailboxId;
  }

  close(): void {
    this.unwatch?.();
    this.unwatch = null;
  }

  /**
   * Changes after `modseq` as MailReader.changesSince reports them, from memory when the feed
   * reaches back that far; `force` reads the database even without a notification.
   */
  async changesSince(modseq: number, force: boolean): Promise<FolderChanges | null> {
    if (force) this.stale = true;
    if (!(await this.refresh())) return null;
    if (modseq < this.base) return this.storage.changesSince(this.user, this.folderId, modseq);
    const latest = new Map<number, Entry>();
    for (let i = this.entries.length - 1; i >= 0 && this.entries[i].modseq > modseq; i--) {
      const entry = this.entries[i];
      if (!latest.has(entry.uid)) latest.set(entry.uid, entry);
    }
    const changed: FlagChange[] = [];
    const expunged: FolderChanges['expunged'] = [];
    for (const entry of latest.values()) {
      if (entry.flags === null) expunged.push({ uid: entry.uid, modseq: entry.modseq });
      else changed.push({ uid: entry.uid, flags: entry.flags, modseq: entry.modseq });
    }
    changed.sort((a, b) => a.uid - b.uid);
    expunged.sort((a, b) => a.uid - b.uid);
    return { uidValidity: this.uidValidity, uidNext: 0, highestModseq: this.head, changed, expunged };
  }

  /** Whether a session that has seen everything up to `modseq` may have something to be told. */
  behind(modseq: number): boolean {
    return this.stale || this.refreshing !== null || this.head !== modseq;
  }

  /** One database read for everyone waiting; false once the folder is gone. */
  private async refresh(): Promise<boolean> {
    if (this.gone) return false;
    if (!this.stale && !this.refreshing) return true;
    if (!this.refreshing) {
      this.stale = false;
      this.refreshing = this.storage
        .changesSince(this.user, this.folderId, this.head)
        .then(
          (changes) => {
            if (!changes) {
              this.gone = true;
              return false;
            }
            if (this.uidValidity && changes.uidValidity !== this.uidValidity) this.gone = true;
            this.uidValidity = changes.uidValidity;
            const batch: Entry[] = [...changes.changed.map((c) => ({ uid: c.uid, modseq: c.modseq, flags: c.flags })), ...changes.expunged.map((e) => ({ uid: e.uid, modseq: e.modseq, flags: null }))];
            this.append(batch.sort(byModseq), changes.highestModseq);
            return !this.gone;
          },
          (error: unknown) => {
            this.stale = true;
            throw error;
          },
        )
        .finally(() => (this.refreshing = null));
    }
    const ok = await this.refreshing;
    // A notification that arrived during the read may need another one.
    if (ok && this.stale) return this.refresh();
    return ok;
  }

  /**
   * Takes a change of this process as it is when it holds every message of the MODSEQs right
   * after the head (MODSEQs are taken one after another under the folder's row lock, so nothing
   * else can lie between); false when the folder must be read instead.
   */
  private advance(change: FolderChange): boolean {
    const messages = change.messages;
    if (!messages?.length || this.stale || this.refreshing || this.gone) return false;
    const batch = [...messages].sort(byModseq);
    let last = this.head;
    for (const message of batch) {
      if (message.modseq !== last && message.modseq !== last + 1) return false;
      last = message.modseq;
    }
    if (batch[0].modseq !== this.head + 1) return false;
    this.append(batch, last);
    return true;
  }

  /** Adds changes, sorted by MODSEQ, up to `head`, forgetting the oldest past MAX_ENTRIES. */
  private append(batch: Entry[], head: number): void {
    for (const entry of batch) this.entries.push(entry);
    this.head = Math.max(this.head, head);
    if (this.entries.length > MAX_ENTRIES) {
      const dropped = this.entries.splice(0, this.entries.length - MAX_ENTRIES);
      this.base = dropped[dropped.length - 1].modseq;
      // Entries sharing that MODSEQ must all be dropped, or a reader would miss some.
      while (this.entries.length && this.entries[0].modseq <= this.base) this.entries.shift();
    }
  }
}

/**
 * The feeds of this process, one per selected folder of a mailbox, kept while any session uses
 * them; a feed reads with the mailbox of the sessions that share it.
 */
export class FolderFeeds {
  private readonly feeds = new Map<string, { feed: FolderFeed; users: number }>();

  constructor(private readonly storage: ImapStorage) {}

  /** The folder's feed; a new one starts from `modseq` without a read when `fresh` says so. */
  acquire(user: ImapUser, folderId: string, modseq: number, fresh?: { uidValidity: number }): FolderFeed {
    const key = feedKey(user.mailboxId, folderId);
    let slot = this.feeds.get(key);
    if (!slot) this.feeds.set(key, (slot = { feed: new FolderFeed(user, folderId, this.storage, modseq, fresh), users: 0 }));
    slot.users++;
    return slot.feed;
  }

  release(feed: FolderFeed): void {
    const key = feedKey(feed.mailboxId, feed.folderId);
    const slot = this.feeds.get(key);
    if (!slot || slot.feed !== feed) return;
    if (--slot.users === 0) {
      this.feeds.delete(key);
      feed.close();
    }
  }
}

const feedKey = (mailboxId: string, folderId: string) => `${mailboxId}/${folderId}`;
