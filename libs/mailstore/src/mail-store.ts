import { Injectable } from '@nestjs/common';
import { Batcher, DomainError } from '@mailroom/common';
import { ExpungeRepository, FolderRepository, Sql, StoredMailRepository, type FlagOperation, type StoreFlagsInput, type StoredMailRow, type Tx } from '@mailroom/db';
import { FolderStore } from './folder-store';
import { MailNotifier } from './mail-notifier';
import { prepareMessage, type PreparedMessage } from './prepared-message';

export interface AppendInput {
  mailboxId: string;
  /** Exact folder name ('INBOX', 'Bounces', 'Archive/2026'). */
  folder: string;
  raw: Buffer;
  flags?: string[];
  internalDate?: Date;
  /**
   * Runs in the filing transaction once the message has its UID: whatever must commit with the
   * filing (the inbound.received event) goes here.
   */
  onFiled?: (tx: Tx, filed: FiledMessage) => Promise<void>;
}

export interface AppendResult {
  folderId: string;
  uid: number;
  uidValidity: number;
  /** The MODSEQ the message was filed with. */
  modseq: number;
}

/** A message just filed, as its headers describe it. */
export interface FiledMessage extends AppendResult {
  subject: string;
  from: string;
  to: string;
  messageIdHeader: string | null;
  inReplyTo: string | null;
  size: number;
}

export type { FlagOperation, StoreFlagsInput };

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

/** Most appends filed in one transaction (one commit). */
const MAX_APPENDS_PER_COMMIT = 64;

/** Most message bytes in one INSERT of a group (a larger message goes alone). */
const INSERT_BYTES = 4 * 1024 * 1024;

/**
 * Group-commit lanes: groups of appends to different folders commit side by side, on as many
 * connections. A folder always files through the same lane, so two lanes never wait on one
 * folder's row lock; with one lane, every group waited for the last one's round trips.
 */
const FILING_LANES = 4;

/** Whether a group can be filed by one statement (StoredMailRepository.fileRun). */
function fileableAtOnce(group: PendingAppend[]): boolean {
  let bytes = 0;
  for (const { input, message } of group) {
    if (input.onFiled || compareTarget(input, group[0]!.input) !== 0) return false;
    bytes += message.raw.length;
  }
  return bytes <= INSERT_BYTES;
}

/** An append waiting for its group's transaction. */
interface PendingAppend {
  input: AppendInput;
  message: PreparedMessage;
  flags: string[];
  internalDate: Date;
}

/** What one append of a group came to: filed, its folder missing (null), or its own error. */
type FilingOutcome = { filed: AppendResult | null } | { error: unknown };

/**
 * The mail store: what the inbound MTA files and the IMAP server reads. The UID and MODSEQ rules
 * live here: a UID and a MODSEQ are taken from the folder's row (under its lock) in the same
 * transaction as the change they number, so UIDs never collide and never go backwards.
 */
@Injectable()
export class MailStore {
  constructor(
    private readonly sql: Sql,
    private readonly folderRows: FolderRepository,
    private readonly storedMail: StoredMailRepository,
    private readonly expunges: ExpungeRepository,
    private readonly folders: FolderStore,
    private readonly notifier: MailNotifier,
  ) {}

  /**
   * Group commit of appends: while one transaction files messages, the appends that arrive
   * meanwhile (other SMTP sessions' messages) gather, and the next transaction files them all
   * with one commit. Idle, an append starts at once; each caller's promise resolves only after
   * the commit that holds its message. Folders are spread over FILING_LANES lanes, each with
   * one group in flight, so mail for many mailboxes files on several connections at once.
   */
  private readonly filings = Array.from(
    { length: FILING_LANES },
    () => new Batcher<PendingAppend, FilingOutcome>((group) => this.fileGroup(group), { maxInFlight: 1, maxSize: MAX_APPENDS_PER_COMMIT }),
  );

  /**
   * Files one message into a folder of the mailbox (a missing standard folder is created):
   * UID, MODSEQ, precomputed ENVELOPE/BODYSTRUCTURE and raw bytes in one transaction, then
   * every IMAP session watching the folder, in any process, is told.
   */
  async append(input: AppendInput): Promise<AppendResult> {
    const pending: PendingAppend = { input, message: prepareMessage(input.raw), flags: normalizeStoredFlags(input.flags ?? []), internalDate: input.internalDate ?? new Date() };
    const file = async (): Promise<AppendResult | null> => {
      const outcome = await this.filings[laneOf(input)]!.submit(pending);
      if ('error' in outcome) throw outcome.error;
      return outcome.filed;
    };
    let result = await file();
    if (!result) {
      await this.folders.createDefault(input.mailboxId, input.folder);
      result = await file();
      if (!result) throw new DomainError('not_found', 'folder_not_found', `folder ${input.folder} not found`);
    }
    // Each message of a group has a MODSEQ of its own, so this one message is the whole change.
    const messages = [{ uid: result.uid, modseq: result.modseq, flags: pending.flags }];
    this.notifier.announce({ mailboxId: input.mailboxId, folderId: result.folderId, kind: 'append', messages });
    return result;
  }

  /**
   * Files a group of appends in one transaction, in (mailbox, folder) order so that two groups
   * lock folder rows in the same order. Should the transaction fail, nothing of it committed:
   * each append is then filed in a transaction of its own, so that only the bad one fails.
   */
  private async fileGroup(group: PendingAppend[]): Promise<FilingOutcome[]> {
    const order = group.map((_, i) => i).sort((a, b) => compareTarget(group[a]!.input, group[b]!.input));
    try {
      if (fileableAtOnce(group)) return (await this.fileRun(group)).map((filed) => ({ filed }));
      const filed = await this.sql.transaction((tx) => this.fileAll(tx, order.map((i) => group[i]!)));
      const outcomes: FilingOutcome[] = new Array(group.length);
      order.forEach((i, at) => (outcomes[i] = { filed: filed[at]! }));
      return outcomes;
    } catch (error) {
      if (group.length === 1) return [{ error }];
      return Promise.all(
        group.map((pending) =>
          this.sql.transaction((tx) => this.fileAll(tx, [pending])).then(
            ([filed]): FilingOutcome => ({ filed: filed ?? null }),
            (one: unknown): FilingOutcome => ({ error: one }),
          ),
        ),
      );
    }
  }

  /**
   * A group for one folder with nothing to run in its transaction (IMAP's APPEND, not inbound
   * mail, whose event commits with it) is numbered and stored by one statement, in group order.
   */
  private async fileRun(group: PendingAppend[]): Promise<Array<AppendResult | null>> {
    const { mailboxId, folder } = group[0]!.input;
    const claimed = await this.storedMail.fileRun(
      mailboxId,
      folder,
      group.map(({ message, flags, internalDate }) => ({ ...message, flags, internalDate })),
    );
    if (!claimed) return group.map(() => null);
    return group.map((_, i) => ({ folderId: claimed.folderId, uid: claimed.firstUid + i, uidValidity: claimed.uidValidity, modseq: Number(claimed.firstModseq) + i }));
  }

  /**
   * Files appends in (mailbox, folder) order: one statement per folder numbers its messages
   * (UID and MODSEQ, the folder row locked), one statement per INSERT_BYTES of messages stores
   * them, and each append's onFiled runs. The statements are queued on the transaction's connection at once rather than
   * each after the last one's answer came back through the event loop, where other sessions'
   * work (DKIM and DMARC checks, parsing) would run between them while the folder stays locked.
   * Null for an append whose folder is missing.
   */
  private async fileAll(tx: Tx, appends: PendingAppend[]): Promise<Array<AppendResult | null>> {
    const runs: Array<{ start: number; end: number }> = [];
    for (let start = 0, end = 1; start < appends.length; start = end++) {
      while (end < appends.length && compareTarget(appends[start]!.input, appends[end]!.input) === 0) end++;
      runs.push({ start, end });
    }
    const claims = await Promise.all(runs.map(({ start, end }) => this.folderRows.claimUidRun(tx, appends[start]!.input.mailboxId, appends[start]!.input.folder, end - start)));
    const results: Array<AppendResult | null> = new Array(appends.length).fill(null);
    const rows: StoredMailRow[] = [];
    runs.forEach(({ start, end }, r) => {
      const claimed = claims[r];
      if (!claimed) return;
      for (let i = start; i < end; i++) {
        const { message, flags, internalDate } = appends[i]!;
        const modseq = claimed.firstModseq + BigInt(i - start);
        results[i] = { folderId: claimed.folderId, uid: claimed.firstUid + (i - start), uidValidity: claimed.uidValidity, modseq: Number(modseq) };
        rows.push({ folderId: claimed.folderId, uid: results[i]!.uid, modseq, message: { ...message, flags, internalDate } });
      }
    });
    // One statement per few MiB of messages: the statement is built in memory beside them.
    const stored: Array<Promise<void>> = [];
    let chunk: StoredMailRow[] = [];
    let bytes = 0;
    for (const row of rows) {
      if (chunk.length && bytes + row.message.raw.length > INSERT_BYTES) {
        stored.push(this.storedMail.insert(tx, chunk));
        chunk = [];
        bytes = 0;
      }
      chunk.push(row);
      bytes += row.message.raw.length;
    }
    if (chunk.length) stored.push(this.storedMail.insert(tx, chunk));
    const hooks = appends.map(({ input, message }, i) => {
      const filed = results[i];
      return filed && input.onFiled?.(tx, {
        ...filed,
        subject: message.subject,
        from: message.fromAddress,
        to: message.toAddresses,
        messageIdHeader: message.messageIdHeader,
        inReplyTo: message.envelope.inReplyTo,
        size: message.raw.length,
      });
    });
    await Promise.all([...stored, ...hooks]);
    return results;
  }

  /**
   * Changes flags of the given messages in one statement. Only messages whose flags really
   * change get the new MODSEQ, and the folder's MODSEQ moves only when one does.
   */
  async storeFlags(input: StoreFlagsInput): Promise<StoreFlagsResult> {
    const flags = normalizeStoredFlags(input.flags);
    if (!input.uids.length) return { messages: [], modified: [] };
    const rows = await this.storedMail.storeFlags({ ...input, flags });
    const messages = rows.map((r) => ({ uid: r.uid, flags: r.flags, modseq: r.modseq, changed: r.changed }));
    const modified = input.unchangedSince === undefined ? [] : rows.filter((r) => !r.changed && r.before > input.unchangedSince!).map((r) => r.uid);
    // One statement, one new MODSEQ: the changed rows are the whole change.
    const changed = messages.filter((m) => m.changed);
    if (changed.length) this.notifier.announce({ mailboxId: input.mailboxId, folderId: input.folderId, kind: 'flags', messages: changed.map(({ uid, modseq, flags }) => ({ uid, modseq, flags })) });
    return { messages, modified };
  }

  /**
   * Removes the messages of `uids` that carry \Deleted; returns the UIDs removed. With
   * `deletedOnly: false` (POP3's DELE + QUIT, which never sets flags) all of `uids` that still
   * exist go, the folder checked to be the mailbox's under its lock.
   */
  async expunge(mailboxId: string, folderId: string, uids: readonly number[], options: { deletedOnly?: boolean } = {}): Promise<number[]> {
    if (!uids.length) return [];
    const deletedOnly = options.deletedOnly ?? true;
    // IMAP's EXPUNGE: check, MODSEQ and removal in one statement (one round trip, not five).
    const removed = deletedOnly
      ? await this.expunges.removeDeleted(mailboxId, folderId, uids)
      : await this.sql.transaction(async (tx) => {
          if (!(await this.folderRows.lock(tx, mailboxId, [folderId])).length) return { uids: [], modseq: 0 };
          const modseq = await this.bumpModseq(tx, folderId);
          return { uids: await this.expunges.remove(tx, folderId, uids, modseq, false), modseq: Number(modseq) };
        });
    if (!removed.uids.length) return [];
    // Removed under one new MODSEQ: these are the whole change.
    const messages = removed.uids.map((uid) => ({ uid, modseq: removed.modseq, flags: null }));
    this.notifier.announce({ mailboxId, folderId, kind: 'expunge', messages });
    return removed.uids;
  }

  /**
   * Copies messages (flags, dates and bytes) into another folder of the same mailbox with new
   * UIDs taken in one block; with `move`, removes them from the source in the same transaction.
   * Both folder rows are locked in id order, so concurrent copies in both directions cannot
   * deadlock.
   */
  async copy(input: { mailboxId: string; fromFolderId: string; uids: readonly number[]; toFolderId: string; move?: boolean }): Promise<CopyResult> {
    const result = await this.sql.transaction(async (tx): Promise<CopyResult> => {
      const locked = await this.folderRows.lock(tx, input.mailboxId, [input.fromFolderId, input.toFolderId]);
      const target = locked.find((r) => r.id === input.toFolderId);
      if (!target || !locked.some((r) => r.id === input.fromFolderId)) throw new DomainError('not_found', 'folder_not_found', 'folder not found');
      const uids = await this.storedMail.existing(tx, input.fromFolderId, input.uids);
      if (!uids.length) return { uidValidity: target.uidValidity, mapping: [], expunged: [] };
      const { first, modseq } = await this.folderRows.claimUids(tx, input.toFolderId, uids.length);
      await this.storedMail.copy(tx, { fromFolderId: input.fromFolderId, uids, toFolderId: input.toFolderId, firstUid: first, modseq });
      let expunged: number[] = [];
      if (input.move) {
        const sourceModseq = await this.bumpModseq(tx, input.fromFolderId);
        expunged = await this.expunges.remove(tx, input.fromFolderId, uids, sourceModseq, false);
      }
      return { uidValidity: target.uidValidity, mapping: uids.map((uid, i): [number, number] => [uid, first + i]), expunged };
    });
    if (result.mapping.length) {
      this.notifier.announce({ mailboxId: input.mailboxId, folderId: input.toFolderId, kind: 'append' });
      if (input.move) this.notifier.announce({ mailboxId: input.mailboxId, folderId: input.fromFolderId, kind: 'expunge' });
    }
    return result;
  }

  private async bumpModseq(tx: Tx, folderId: string): Promise<string> {
    const modseq = await this.folderRows.bumpModseq(tx, folderId);
    if (modseq === null) throw new DomainError('not_found', 'folder_not_found', 'folder not found');
    return modseq;
  }
}

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

/** The filing lane of a folder: the same for every append to it (INBOX in any case is one folder). */
export function laneOf({ mailboxId, folder }: Pick<AppendInput, 'mailboxId' | 'folder'>): number {
  const key = `${mailboxId}\0${folder.toUpperCase() === 'INBOX' ? 'INBOX' : folder}`;
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (Math.imul(hash, 31) + key.charCodeAt(i)) | 0;
  return (hash >>> 0) % FILING_LANES;
}

function compareTarget(a: AppendInput, b: AppendInput): number {
  return a.mailboxId < b.mailboxId ? -1 : a.mailboxId > b.mailboxId ? 1 : a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0;
}
