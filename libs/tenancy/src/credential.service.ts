import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainError, notFound } from '@mailroom/common';
import { generatePassword, hashPassword, verifyPassword } from '@mailroom/crypto';
import { SmtpCredentialRepository } from '@mailroom/db';
import { MAX_PASSWORD, checkPassword } from './login-password';

/** SMTP relay credentials: the submission relay's logins (IMAP mailboxes are MailboxService's). */
@Injectable()
export class CredentialService {
  constructor(private readonly credentials: SmtpCredentialRepository) {}

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
}
