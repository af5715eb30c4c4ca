import { Injectable } from '@nestjs/common';
import { DomainError } from '@mailroom/common';
import { Sql } from '@mailroom/db';
import { FolderStore } from './folder-store';
import { MailNotifier } from './mail-notifier';
import { prepareMessage } from './prepared-message';

export interface AppendInput {
  mailboxId: string;
  /** Exact folder name ('INBOX', 'Bounces', 'Archive/2026'). */
  folder: string;
  raw: Buffer;
  flags?: string[];
  internalDate?: Date;
}

export interface AppendResult {
  folderId: string;
  uid: number;
  uidValidity: number;
}

/**
 * Takes the next UID and MODSEQ of the folder in the same statement that claims them: the row
 * lock serializes writers of one folder, so UIDs never collide and never go backwards.
 */
const CLAIM_UID = `
  UPDATE folders SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1
   WHERE mailbox_id = $1 AND name = $2
   RETURNING id, uid_next - 1 AS uid, highest_modseq AS modseq, uid_validity`;

const INSERT_MAIL = `
  INSERT INTO stored_mail (folder_id, uid, modseq, flags, internal_date, size, subject, from_address,
                           to_addresses, sent_date, message_id_header, raw, envelope, body_structure)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`;

/** Upper bound of a stored flag or keyword (IMAP atoms; clients never come close). */
const MAX_FLAG_LENGTH = 128;

/** The mail store: what the inbound MTA files and the IMAP server reads. */
@Injectable()
export class MailStore {
  constructor(
    private readonly sql: Sql,
    private readonly folders: FolderStore,
    private readonly notifier: MailNotifier,
  ) {}

  /**
   * Files one message into a folder of the mailbox (a missing standard folder is created):
   * UID, MODSEQ, precomputed ENVELOPE/BODYSTRUCTURE and raw bytes in one transaction, then
   * every IMAP session watching the folder, in any process, is told.
   */
  async append(input: AppendInput): Promise<AppendResult> {
    const message = prepareMessage(input.raw);
    const flags = normalizeStoredFlags(input.flags ?? []);
    const internalDate = input.internalDate ?? new Date();
    const insert = async (): Promise<AppendResult | null> =>
      this.sql.transaction(async (client) => {
        const claimed = await client.query<{ id: string; uid: number; modseq: string; uid_validity: number }>(CLAIM_UID, [input.mailboxId, input.folder]);
        const folder = claimed.rows[0];
        if (!folder) return null;
        await client.query(INSERT_MAIL, [
          folder.id,
          folder.uid,
          folder.modseq,
          flags,
          internalDate,
          message.raw.length,
          message.subject,
          message.fromAddress,
          message.toAddresses,
          message.sentDate,
          message.messageIdHeader,
          message.raw,
          JSON.stringify(message.envelope),
          JSON.stringify(message.bodyStructure),
        ]);
        return { folderId: folder.id, uid: folder.uid, uidValidity: folder.uid_validity };
      });
    let result = await insert();
    if (!result) {
      await this.folders.createDefault(input.mailboxId, input.folder);
      result = await insert();
      if (!result) throw new DomainError('not_found', 'folder_not_found', `folder ${input.folder} not found`);
    }
    await this.notifier.announce({ mailboxId: input.mailboxId, folderId: result.folderId, kind: 'append' });
    return result;
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
