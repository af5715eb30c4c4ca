import { Injectable } from '@nestjs/common';
import { newId } from '@mailroom/common';
import { PrismaService } from '../prisma.service';
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
  constructor(private readonly prisma: PrismaService) {}

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

  /** Not tenant-scoped: IMAP login and inbound routing start from the address alone. */
  findByAddress(address: string): Promise<Mailbox | null> {
    return this.prisma.mailbox.findUnique({ where: { address } });
  }

  list(accountId: string): Promise<Mailbox[]> {
    return this.prisma.mailbox.findMany({ where: { accountId }, orderBy: { address: 'asc' } });
  }

  async delete(accountId: string, mailboxId: string): Promise<boolean> {
    const { count } = await this.prisma.mailbox.deleteMany({ where: { id: mailboxId, accountId } });
    return count > 0;
  }
}
