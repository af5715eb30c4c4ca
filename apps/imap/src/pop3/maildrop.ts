import type { ImapStorage, ImapUser } from '../storage/imap-storage';

/**
 * Read-ahead: messages fetched with the one asked for, when the client has already asked for
 * them (pipelined RETRs) or reads in order (RETR n after RETR n-1, as poplib loops, fetchmail and
 * bounce processors do): one query per batch instead of one per message. At most this many
 * messages and about this many bytes; larger messages are read alone, when asked for.
 */
const PREFETCH_MESSAGES = 256;
const PREFETCH_BYTES = 1024 * 1024;
const PREFETCH_LARGEST = 128 * 1024;

export interface DropMessage {
  uid: number;
  /** Octets RETR sends: the stored bytes, which have CRLF line ends (dot-stuffing not counted). */
  size: number;
}

/**
 * A POP3 session's INBOX (RFC 1939 "maildrop"): the messages as they were when the session
 * began, numbered from 1, and which of them DELE marked. Nothing changes in the mail store until
 * commit() (QUIT); messages other sessions add meanwhile are not seen, and one another session
 * removed is answered with -ERR when asked for.
 */
export class Maildrop {
  private readonly deleted = new Set<number>();
  private readonly prefetched = new Map<number, Buffer>();
  private lastRead = 0;

  private constructor(
    private readonly storage: ImapStorage,
    private readonly user: ImapUser,
    private readonly folderId: string | null,
    private readonly uidValidity: number,
    private readonly messages: DropMessage[],
  ) {}

  static async open(storage: ImapStorage, user: ImapUser): Promise<Maildrop> {
    const inbox = await storage.findFolder(user, 'INBOX');
    const snapshot = inbox ? await storage.snapshot(user, inbox.id) : null;
    if (!inbox || !snapshot) return new Maildrop(storage, user, null, 0, []);
    // Sizes in one read; a message expunged between the two reads is simply not in the drop.
    const rows = snapshot.uids.length ? await storage.messages(user, inbox.id, snapshot.uids, {}) : [];
    return new Maildrop(storage, user, inbox.id, snapshot.uidValidity, rows.map((r) => ({ uid: r.uid, size: r.size })));
  }

  /** Messages not marked deleted, and their octets (STAT). */
  stat(): { count: number; octets: number } {
    let count = 0;
    let octets = 0;
    this.messages.forEach((m, i) => {
      if (this.deleted.has(i + 1)) return;
      count++;
      octets += m.size;
    });
    return { count, octets };
  }

  /** Every message number not marked deleted, with its message (LIST, UIDL). */
  *live(): Generator<[number, DropMessage]> {
    for (let i = 0; i < this.messages.length; i++) if (!this.deleted.has(i + 1)) yield [i + 1, this.messages[i]];
  }

  /** The message numbered `n`, or null when there is none or it is marked deleted. */
  get(n: number): DropMessage | null {
    if (!Number.isSafeInteger(n) || n < 1 || n > this.messages.length || this.deleted.has(n)) return null;
    return this.messages[n - 1];
  }

  /** UIDL: unique per message for good, since a UID is never reused under one UIDVALIDITY. */
  uniqueId(message: DropMessage): string {
    return `${this.uidValidity}.${message.uid}`;
  }

  dele(n: number): void {
    this.deleted.add(n);
    this.prefetched.delete(n);
  }

  rset(): void {
    this.deleted.clear();
  }

  /**
   * The bytes of message `n` (null when another session removed it). `ahead` are numbers the
   * client already asked for next (pipelined RETRs): they are read in the same query, and so are
   * the next ones when the client reads in order.
   */
  async raw(n: number, ahead: readonly number[] = []): Promise<Buffer | null> {
    const sequential = n === this.lastRead + 1;
    this.lastRead = n;
    const ready = this.prefetched.get(n);
    if (ready) {
      this.prefetched.delete(n);
      return ready;
    }
    this.prefetched.clear();
    const wanted = [n];
    let bytes = this.get(n)?.size ?? 0;
    const candidates = sequential ? [...ahead, ...this.following(n)] : ahead;
    for (const next of candidates) {
      const message = this.get(next);
      if (wanted.length >= PREFETCH_MESSAGES || bytes >= PREFETCH_BYTES) break;
      if (!message || wanted.includes(next)) continue;
      if (message.size > PREFETCH_LARGEST) break;
      wanted.push(next);
      bytes += message.size;
    }
    const byUid = new Map(wanted.map((w) => [this.messages[w - 1].uid, w]));
    const rows = await this.storage.messages(this.user, this.folderId!, [...byUid.keys()].sort((a, b) => a - b), { raw: true });
    let found: Buffer | null = null;
    for (const row of rows) {
      const number = byUid.get(row.uid)!;
      if (number === n) found = row.raw!;
      else this.prefetched.set(number, row.raw!);
    }
    return found;
  }

  /** Message numbers after `n`, as many as one read-ahead may take. */
  private *following(n: number): Generator<number> {
    for (let next = n + 1; next <= Math.min(this.messages.length, n + PREFETCH_MESSAGES); next++) yield next;
  }

  /** QUIT: removes the messages marked deleted through the mail store (IMAP sessions see them go). */
  async commit(): Promise<number> {
    const uids = [...this.deleted].map((n) => this.messages[n - 1].uid);
    if (!uids.length || !this.folderId) return 0;
    uids.sort((a, b) => a - b);
    await this.storage.remove(this.user, this.folderId, uids);
    return uids.length;
  }
}
