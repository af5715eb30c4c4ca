import { Injectable } from '@nestjs/common';
import { DomainError, normalizeDomainName, notFound } from '@mailroom/common';
import { generatePassword, hashPassword } from '@mailroom/crypto';
import { DomainRepository, MailboxRepository } from '@mailroom/db';
import { checkPassword } from './login-password';

/** IMAP mailboxes: an address on one of the account's domains, a password and its folders. */
@Injectable()
export class MailboxService {
  constructor(
    private readonly mailboxes: MailboxRepository,
    private readonly domains: DomainRepository,
  ) {}

  /** A mailbox on one of the account's own domains, with the standard folders. */
  async createMailbox(accountId: string, input: { address: string; password?: string }) {
    const address = normalizeMailboxAddress(input.address);
    const domainName = address.slice(address.lastIndexOf('@') + 1);
    const domain = await this.domains.findByName(accountId, domainName);
    if (!domain) {
      throw new DomainError('invalid', 'unknown_domain', `${domainName} is not a domain of this account; add it first with POST /v1/domains`);
    }
    const password = input.password ?? generatePassword();
    checkPassword(password);
    if (await this.mailboxes.findByAddress(address)) throw new DomainError('conflict', 'mailbox_exists', `mailbox ${address} exists`);
    const mailbox = await this.mailboxes.create({ accountId, domainId: domain.id, address, passwordHash: await hashPassword(password) });
    return {
      id: mailbox.id,
      address: mailbox.address,
      ...(input.password ? {} : { password }),
      folders: mailbox.folders.map((f) => f.name),
      created_at: mailbox.createdAt,
    };
  }

  async listMailboxes(accountId: string) {
    return (await this.mailboxes.list(accountId)).map((m) => ({ id: m.id, address: m.address, created_at: m.createdAt }));
  }

  async getMailbox(accountId: string, id: string) {
    const mailbox = await this.mailboxes.find(accountId, id);
    if (!mailbox) throw notFound('mailbox');
    return { id: mailbox.id, address: mailbox.address, folders: mailbox.folders.map((f) => f.name), created_at: mailbox.createdAt };
  }

  async deleteMailbox(accountId: string, id: string): Promise<void> {
    if (!(await this.mailboxes.delete(accountId, id))) throw notFound('mailbox');
  }
}

/** local@domain with an ASCII local part (dot-atom) and a normalized domain, lower-cased. */
export function normalizeMailboxAddress(input: string): string {
  const at = input.lastIndexOf('@');
  const local = input.slice(0, at).trim().toLowerCase();
  if (at < 1 || !/^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(local) || local.length > 64) {
    throw new DomainError('invalid', 'invalid_address', `"${input}" is not a valid mailbox address`);
  }
  return `${local}@${normalizeDomainName(input.slice(at + 1))}`;
}
