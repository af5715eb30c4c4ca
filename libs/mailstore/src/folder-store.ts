import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DomainError, newId } from '@mailroom/common';
import { DEFAULT_FOLDERS, Sql } from '@mailroom/db';

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

/** Folder rows: creation with a fresh UIDVALIDITY; the rest of the folder API builds on it. */
@Injectable()
export class FolderStore {
  constructor(private readonly sql: Sql) {}

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
}
