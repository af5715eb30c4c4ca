import type { ImapStorage, ImapUser } from '../storage/imap-storage';
import type { FolderFeed } from './folder-feed';
import { formatSequenceSet, mergeRanges, parseSequenceSet, type SequenceRange } from '../protocol/sequence-set';

/** System flags a client may set, and \Recent which only the server reports. */
export const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

/**
 * One session's view of its selected folder: the UID of every sequence number, which messages
 * are \Recent for this session, and the MODSEQ up to which it has told the client everything.
 * Changes made by others (any process) are read back by MODSEQ and reported as EXISTS, FETCH
 * FLAGS and EXPUNGE; expunges wait while a command that numbers messages by sequence runs.
 */
export class SelectedFolder {
  readonly uids: number[];
  knownModseq: number;
  /** Set by change notifications; a sync reads the database only when something changed. */
  dirty = false;
  /** The process-wide change log of this folder, once the session has selected it. */
  feed: FolderFeed | null = null;
  private readonly recent = new Set<number>();
  private readonly recentClaims: Array<[number, number]> = [];
  private readonly pendingExpunges = new Set<number>();
  /** Flag changes this session made and already reported (or was asked not to, .SILENT). */
  private readonly selfReported = new Map<number, number>();
  /** Keywords the client has been told of in FLAGS and PERMANENTFLAGS (RFC 3501 7.2.6). */
  private readonly keywords = new Set<string>();
  /** SEARCHRES (RFC 5182): the UIDs of the last SEARCH ... RETURN (SAVE), which `$` names. */
  saved: number[] = [];

  constructor(
    readonly folderId: string,
    readonly name: string,
    readonly readOnly: boolean,
    readonly uidValidity: number,
    uids: number[],
    modseq: number,
  ) {
    this.uids = uids;
    this.knownModseq = modseq;
  }

  get exists(): number {
    return this.uids.length;
  }

  get recentCount(): number {
    return this.recent.size;
  }

  get largestUid(): number {
    return this.uids.length ? this.uids[this.uids.length - 1] : 0;
  }

  isRecent(uid: number): boolean {
    return this.recent.has(uid);
  }

  /** Messages in `[from, to)` are \Recent for this session (claimed in the database). */
  claimRecent(from: number, to: number): void {
    if (from >= to) return;
    this.recentClaims.push([from, to]);
    for (const uid of this.uids) if (uid >= from && uid < to) this.recent.add(uid);
  }

  /** EXAMINE: messages from `from` on are reported recent without being claimed. */
  markRecentFrom(from: number): void {
    for (const uid of this.uids) if (uid >= from) this.recent.add(uid);
  }

  /** 1-based sequence number of a UID, or 0 when it is not in the view. */
  seqOf(uid: number): number {
    let lo = 0;
    let hi = this.uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const value = this.uids[mid];
      if (value === uid) return mid + 1;
      if (value < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  /** Index of the first UID >= value. */
  private lowerBound(value: number): number {
    let lo = 0;
    let hi = this.uids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.uids[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** UIDs in the view that a set names, ascending and without repeats. */
  resolve(ranges: readonly SequenceRange[], byUid: boolean): number[] {
    const picked: number[] = [];
    // Merged first (a no-op for parseSequenceSet's output): ascending, without repeats, and
    // `1:*,1:*,...` never expands the folder more than once.
    for (const [from, to] of mergeRanges(ranges)) {
      const start = byUid ? this.lowerBound(from) : Math.max(0, from - 1);
      const end = byUid ? this.lowerBound(to + 1) : Math.min(this.uids.length, to);
      for (let i = start; i < end; i++) picked.push(this.uids[i]);
    }
    return picked;
  }

  /** The FLAGS and PERMANENTFLAGS responses for the system flags and the keywords known so far. */
  flagsResponses(): string[] {
    const flags = [...SYSTEM_FLAGS, ...this.keywords].join(' ');
    return [`* FLAGS (${flags})`, `* OK [PERMANENTFLAGS (${this.readOnly ? '' : `${flags} \\*`})] Flags permitted`];
  }

  /**
   * Takes note of the keywords among `flags`; when one is new to the client, the FLAGS and
   * PERMANENTFLAGS responses that announce it, to be sent before any response carrying it.
   */
  announceKeywords(flags: readonly string[]): string[] {
    let fresh = false;
    for (const flag of flags) {
      if (flag.startsWith('\\') || this.keywords.has(flag)) continue;
      this.keywords.add(flag);
      fresh = true;
    }
    return fresh ? this.flagsResponses() : [];
  }

  /**
   * A sequence set from the client as ranges of UIDs (byUid) or sequence numbers: `$` is the
   * saved search result (RFC 5182), of which expunged messages are no longer part.
   */
  setRanges(text: string, byUid: boolean): SequenceRange[] {
    if (text !== '$') return parseSequenceSet(text, byUid ? this.largestUid : this.exists);
    const values = byUid ? this.saved.filter((uid) => this.seqOf(uid)) : this.saved.map((uid) => this.seqOf(uid)).filter((seq) => seq > 0);
    return mergeRanges(values.map((v): SequenceRange => [v, v]));
  }

  noteOwnFlagChange(uid: number, modseq: number): void {
    this.selfReported.set(uid, modseq);
  }

  /**
   * Reads what changed since the last sync and returns the untagged responses that tell the
   * client; null when the folder is gone (deleted, or recreated with a new UIDVALIDITY).
   */
  async sync(storage: ImapStorage, user: ImapUser, options: { expunge: boolean; condstore: boolean; qresync: boolean; force: boolean }): Promise<string[] | null> {
    this.dirty = false;
    const changes = this.feed ? await this.feed.changesSince(this.knownModseq, options.force) : await storage.changesSince(user, this.folderId, this.knownModseq);
    if (!changes || changes.uidValidity !== this.uidValidity) return null;
    const lines: string[] = [];
    const largest = this.largestUid;
    for (const { uid } of changes.expunged) if (uid <= largest && this.seqOf(uid)) this.pendingExpunges.add(uid);
    const fresh: number[] = [];
    for (const change of changes.changed) {
      if (change.uid > largest) {
        if (!this.pendingExpunges.has(change.uid)) {
          fresh.push(change.uid);
          for (const line of this.announceKeywords(change.flags)) lines.push(line);
        }
        continue;
      }
      if (this.pendingExpunges.has(change.uid) || this.selfReported.get(change.uid) === change.modseq) continue;
      const seq = this.seqOf(change.uid);
      if (!seq) continue;
      for (const line of this.announceKeywords(change.flags)) lines.push(line);
      lines.push(`* ${seq} FETCH (UID ${change.uid} FLAGS (${this.flagList(change.uid, change.flags)})${options.condstore ? ` MODSEQ (${change.modseq})` : ''})`);
    }
    // Loops, not spread arguments: these lists can be as long as the folder.
    if (options.expunge) for (const line of this.flushExpunges(options.qresync)) lines.push(line);
    if (fresh.length) {
      for (const uid of fresh) this.uids.push(uid);
      if (!this.readOnly) {
        for (const [from, to] of this.recentClaims) for (const uid of fresh) if (uid >= from && uid < to) this.recent.add(uid);
        const unclaimed = fresh.filter((uid) => !this.recent.has(uid));
        if (unclaimed.length) {
          const claim = await storage.claimRecent(user, this.folderId);
          this.claimRecent(claim.from, claim.to);
        }
      }
      lines.push(`* ${this.exists} EXISTS`, `* ${this.recent.size} RECENT`);
    }
    this.knownModseq = Math.max(this.knownModseq, changes.highestModseq);
    this.selfReported.clear();
    return lines;
  }

  /**
   * EXPUNGE responses (or one VANISHED once QRESYNC is on, RFC 7162 3.2.10) for expunges not
   * yet told, removing the messages from the view.
   */
  flushExpunges(qresync = false): string[] {
    if (!this.pendingExpunges.size) return [];
    const lines: string[] = [];
    if (qresync) {
      const gone = [...this.pendingExpunges].filter((uid) => this.seqOf(uid));
      for (const uid of gone) {
        this.uids.splice(this.seqOf(uid) - 1, 1);
        this.recent.delete(uid);
      }
      this.pendingExpunges.clear();
      return gone.length ? [`* VANISHED ${formatSequenceSet(gone)}`] : [];
    }
    for (const uid of [...this.pendingExpunges].sort((a, b) => b - a)) {
      const seq = this.seqOf(uid);
      if (!seq) continue;
      this.uids.splice(seq - 1, 1);
      this.recent.delete(uid);
      lines.push(`* ${seq} EXPUNGE`);
    }
    this.pendingExpunges.clear();
    return lines;
  }

  flagList(uid: number, flags: readonly string[]): string {
    return this.recent.has(uid) ? [...flags, '\\Recent'].join(' ') : flags.join(' ');
  }
}
