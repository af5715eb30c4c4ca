import { Injectable } from '@nestjs/common';
import {
  FolderRepository,
  StoredMailRepository,
  type ChangesSince,
  type FolderCounters,
  type FolderSnapshot,
  type MessageColumns,
  type MessageFilter,
  type StoredMailRecord,
} from '@mailroom/db';
import type { Envelope } from './mime/envelope';
import type { MimePart } from './mime/mime-tree';

export type { MessageColumns };

/** A folder's counters, as a selected session tracks them. */
export type FolderState = FolderCounters;

export interface FlagChange {
  uid: number;
  flags: string[];
  modseq: number;
}

/** Messages added or whose flags changed, and messages expunged, after a MODSEQ, by UID. */
export type FolderChanges = ChangesSince;

/** A stored message with the ENVELOPE and BODYSTRUCTURE the mail store prepared on append. */
export type StoredMessage = StoredMailRecord<Envelope, MimePart>;

/**
 * Reads of one folder for IMAP sessions. Every read takes the user's mailbox id with the folder
 * id and finds nothing when the folder is not that mailbox's, so a leaked folder id is useless.
 */
@Injectable()
export class MailReader {
  constructor(
    private readonly folders: FolderRepository,
    private readonly storedMail: StoredMailRepository,
  ) {}

  state(mailboxId: string, folderId: string): Promise<FolderState | null> {
    return this.folders.counters(mailboxId, folderId);
  }

  /**
   * Every UID of the folder in ascending order, with the state they belong to and the first
   * message without \Seen (one snapshot: what SELECT reports).
   */
  snapshot(mailboxId: string, folderId: string): Promise<FolderSnapshot | null> {
    return this.folders.snapshot(mailboxId, folderId);
  }

  /**
   * SELECT in one round trip: the folder by name, its snapshot, the \Recent claim (with
   * `claimRecent`) and the keywords changed after `keywordsSince` (FolderRepository.open).
   */
  open(mailboxId: string, name: string, options: { claimRecent: boolean; keywordsSince?: { folderId: string; modseq: number } }) {
    return this.folders.open(mailboxId, name, options);
  }

  /** What happened after `modseq`, in one consistent snapshot. */
  changesSince(mailboxId: string, folderId: string, modseq: number): Promise<FolderChanges | null> {
    return this.storedMail.changesSince(mailboxId, folderId, modseq);
  }

  /**
   * Takes the folder's \Recent messages for the calling session (RFC 3501: one session sees a
   * message as recent): returns the first recent UID and moves the mark to UIDNEXT.
   */
  async claimRecent(mailboxId: string, folderId: string): Promise<{ from: number; to: number }> {
    return (await this.folders.claimRecent(mailboxId, folderId)) ?? { from: 0, to: 0 };
  }

  firstUnseenUid(mailboxId: string, folderId: string): Promise<number | null> {
    return this.storedMail.firstUnseenUid(mailboxId, folderId);
  }

  /** Keywords in use in the folder (on messages changed after `sinceModseq`), for the FLAGS response of SELECT. */
  keywords(mailboxId: string, folderId: string, sinceModseq = 0): Promise<string[]> {
    return this.storedMail.keywords(mailboxId, folderId, sinceModseq);
  }

  /** UIDs (with MODSEQ) of the messages up to `largestUid` that match, ascending. */
  search(mailboxId: string, folderId: string, filter: MessageFilter, largestUid: number): Promise<Array<{ uid: number; modseq: number }>> {
    return this.storedMail.search(mailboxId, folderId, filter, largestUid);
  }

  /** Messages by UID in ascending order; UIDs that no longer exist are simply absent. */
  messages(mailboxId: string, folderId: string, uids: readonly number[], columns: MessageColumns = {}): Promise<StoredMessage[]> {
    return this.storedMail.messages<Envelope, MimePart>(mailboxId, folderId, uids, columns);
  }
}
