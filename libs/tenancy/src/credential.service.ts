import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainError, notFound } from '@mailroom/common';
import { generatePassword, hashPassword, verifyPassword } from '@mailroom/crypto';
import { DomainRepository, MailboxRepository, SmtpCredentialRepository } from '@mailroom/db';
import { normalizeDomainName } from '@mailroom/common';

const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw new DomainError('invalid', 'weak_password', `password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`);
  }
}

/** SMTP relay credentials and IMAP mailboxes: the two kinds of login that are not API keys. */
@Injectable()
export class CredentialService {
  constructor(
    private readonly credentials: SmtpCredentialRepository,
    private readonly mailboxes: MailboxRepository,
    private readonly domains: DomainRepository,
  ) {}

  /**
   * Checks a relay login. An unknown user name costs the same scrypt work as a wrong password,
   * so timing does not tell which user names exist.
   */
  async authenticateSmtp(username: string, password: string): Promise<{ accountId: string; credentialId: string } | null> {
    const row = username.length <= 128 && password.length <= MAX_PASSWORD ? await this.credentials.findByUsername(username) : null;
    const ok = await verifyPassword(password, row?.passwordHash ?? (await this.dummyHash()));
    if (!row || !ok) return null;
    void this.credentials.touch(row.id).catch(() => undefined);
    return { accountId: row.accountId, credentialId: row.id };
  }

  private dummy?: Promise<string>;
  private dummyHash(): Promise<string> {
    this.dummy ??= hashPassword(randomBytes(16).toString('hex'));
    return this.dummy;
  }

  /** The password is returned once; only its scrypt hash is kept. */
  async createSmtpCredential(accountId: string, input: { username?: string; password?: string } = {}) {
    const username = (input.username ?? `mr-${randomBytes(6).toString('hex')}`).trim();
    if (!/^[A-Za-z0-9._@+\-]{3,128}$/.test(username)) {
      throw new DomainError('invalid', 'invalid_username', 'username must be 3 to 128 letters, digits or ._@+-');
    }
    const password = input.password ?? generatePassword();
    checkPassword(password);
    if (await this.credentials.findByUsername(username)) {
      throw new DomainError('conflict', 'username_taken', `username ${username} is taken`);
    }
    const row = await this.credentials.create({ accountId, username, passwordHash: await hashPassword(password) });
    return { id: row.id, username, password, created_at: row.createdAt };
  }

  async listSmtpCredentials(accountId: string) {
    return (await this.credentials.list(accountId)).map((c) => ({ id: c.id, username: c.username, created_at: c.createdAt, last_used_at: c.lastUsedAt }));
  }

  async deleteSmtpCredential(accountId: string, id: string): Promise<void> {
    if (!(await this.credentials.delete(accountId, id))) throw notFound('smtp credential');
  }

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
