import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { newId } from '@mailroom/common';
import { hashPassword } from '@mailroom/crypto';
import { AccountRepository, DomainRepository, MailboxRepository } from '@mailroom/db';

export interface TestMailbox {
  accountId: string;
  mailboxId: string;
  address: string;
  password: string;
}

/** An account, a domain and a mailbox with the standard folders, as the API would create them. */
export async function createTestMailbox(app: INestApplicationContext, options: { local?: string; password?: string } = {}): Promise<TestMailbox> {
  const account = await app.get(AccountRepository).create(`Test ${randomBytes(3).toString('hex')}`);
  const domainName = `d${randomBytes(5).toString('hex')}.test`;
  const domain = await app.get(DomainRepository).create({ id: newId(), accountId: account.id, name: domainName, returnPathDomain: `mr-bounces.${domainName}`, keys: [] });
  const password = options.password ?? `pw-${randomBytes(8).toString('hex')}`;
  const address = `${options.local ?? 'user'}@${domainName}`;
  const mailbox = await app.get(MailboxRepository).create({ accountId: account.id, domainId: domain.id, address, passwordHash: await hashPassword(password) });
  return { accountId: account.id, mailboxId: mailbox.id, address, password };
}

/** A small RFC 5322 message with CRLF line ends. */
export function sampleMessage(options: { subject?: string; from?: string; to?: string; body?: string; date?: string; headers?: string[] } = {}): Buffer {
  return Buffer.from(
    [
      `From: ${options.from ?? 'Sender <sender@example.com>'}`,
      `To: ${options.to ?? 'user@example.net'}`,
      `Subject: ${options.subject ?? 'Hello'}`,
      `Date: ${options.date ?? 'Mon, 23 Nov 2026 10:00:00 +0000'}`,
      `Message-ID: <${randomBytes(6).toString('hex')}@example.com>`,
      ...(options.headers ?? []),
      '',
      options.body ?? 'Hello there.',
      '',
    ].join('\r\n'),
  );
}
