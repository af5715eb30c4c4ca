import { Injectable } from '@nestjs/common';
import { newId } from '@mailroom/common';
import { PrismaService } from '../prisma.service';
import { Sql } from '../sql';
import type { Folder, Mailbox } from '../generated/client';

/** The folders every mailbox starts with, and their RFC 6154 special-use attributes. */
export const DEFAULT_FOLDERS: ReadonlyArray<{ name: string; specialUse: string | null }> = [
  { name: 'INBOX', specialUse: null },
  { name: 'Sent', specialUse: '\\Sent' },
  { name: 'Drafts', specialUse: '\\Drafts' },
  { name: 'Trash', specialUse: '\\Trash' },
  { name: 'Junk', specialUse: '\\Junk' },
  { name: 'Bounces', specialUse: null },
];

export type MailboxWithFolders = Mailbox & { folders: Folder[] };

@Injectable()
export class MailboxRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: Sql,
  ) {}

  /** Creates the mailbox with its default folders, subscribed, in one transaction. */
  create(input: { accountId: string; domainId: string; address: string; passwordHash: string }): Promise<MailboxWithFolders> {
    const uidValidity = Math.floor(Date.now() / 1000);
    return this.prisma.mailbox.create({
      data: {
        id: newId(),
        ...input,
        folders: { create: DEFAULT_FOLDERS.map((f) => ({ id: newId(), name: f.name, specialUse: f.specialUse, uidValidity })) },
        // The standard folders start subscribed (clients that show subscribed folders only see them).
        subscriptions: { create: DEFAULT_FOLDERS.map((f) => ({ name: f.name })) },
      },
      include: { folders: { orderBy: { name: 'asc' } } },
    });
  }

  find(accountId: string, mailboxId: string): Promise<MailboxWithFolders | null> {
    return this.prisma.mailbox.findFirst({ where: { id: mailboxId, accountId }, include: { folders: { orderBy: { name: 'asc' } } } });
  }

  /**
   * Not tenant-scoped: IMAP login and inbound routing start from the address alone. Raw SQL: it
   * is the imap process's one mailbox query, and with it that process never starts Prisma's
   * client (PrismaService).
   */
  async findByAddress(address: string): Promise<Mailbox | null> {
    const [row] = await this.sql.query<{
      id: string;
      account_id: string;
      domain_id: string;
      address: string;
      password_hash: string;
      last_uid_validity: number;
      created_at: Date;
    }>(`SELECT id, account_id, domain_id, address, password_hash, last_uid_validity, created_at FROM mailboxes WHERE address = $1`, [address]);
    if (!row) return null;
    return {
      id: row.id,
      accountId: row.account_id,
      domainId: row.domain_id,
      address: row.address,
      passwordHash: row.password_hash,
      lastUidValidity: row.last_uid_validity,
      createdAt: row.created_at,
    };
  }

  list(accountId: string): Promise<Mailbox[]> {
    return this.prisma.mailbox.findMany({ where: { accountId }, orderBy: { address: 'asc' } });
  }

  async delete(accountId: string, mailboxId: string): Promise<boolean> {
    const { count } = await this.prisma.mailbox.deleteMany({ where: { id: mailboxId, accountId } });
    return count > 0;
  }
}
