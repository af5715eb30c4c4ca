import { Injectable } from '@nestjs/common';
import { DomainError, notFound } from '@mailroom/common';
import { AccountRepository, ApiKeyRepository, type ApiKeyScope } from '@mailroom/db';
import { generateApiKey, sha256Hex } from '@mailroom/crypto';

export interface CreatedApiKey {
  id: string;
  /** The only time the key is shown; only its hash is stored. */
  key: string;
  prefix: string;
  name: string;
  scope: ApiKeyScope;
  account_id: string | null;
}

@Injectable()
export class AccountService {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly apiKeys: ApiKeyRepository,
  ) {}

  async createAccount(name: string, email?: string): Promise<{ id: string; name: string; email: string | null; created_at: Date }> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 200) throw new DomainError('invalid', 'invalid_name', 'name must be 1 to 200 characters');
    const account = await this.accounts.create(trimmed, email === undefined ? null : noticeAddress(email));
    return { id: account.id, name: account.name, email: account.email, created_at: account.createdAt };
  }

  async getAccount(accountId: string): Promise<AccountView> {
    const account = await this.accounts.find(accountId);
    if (!account) throw notFound('account');
    return view(account);
  }

  /** Renames an account or sets its hourly sending limit (null: unlimited). Takes effect within 30 s. */
  async updateAccount(accountId: string, changes: { name?: string; sendLimitPerHour?: number | null; email?: string | null }): Promise<AccountView> {
    if (changes.name !== undefined && (!changes.name.trim() || changes.name.trim().length > 200)) {
      throw new DomainError('invalid', 'invalid_name', 'name must be 1 to 200 characters');
    }
    if (changes.sendLimitPerHour != null && (!Number.isInteger(changes.sendLimitPerHour) || changes.sendLimitPerHour < 1)) {
      throw new DomainError('invalid', 'invalid_limit', 'send_limit_per_hour must be a whole number of at least 1, or null for no limit');
    }
    const email = changes.email === undefined || changes.email === null ? changes.email : noticeAddress(changes.email);
    const account = await this.accounts.update(accountId, { name: changes.name?.trim(), sendLimitPerHour: changes.sendLimitPerHour, email });
    if (!account) throw notFound('account');
    return view(account);
  }

  /** Creates a key for an account, or (scope admin, accountId null) an installation-wide admin key. */
  async createApiKey(accountId: string | null, options: { name?: string; scope?: ApiKeyScope } = {}): Promise<CreatedApiKey> {
    const scope = options.scope ?? 'account';
    if (accountId === null && scope !== 'admin') {
      throw new DomainError('invalid', 'account_required', 'an account key needs an account');
    }
    if (accountId !== null && !(await this.accounts.find(accountId))) throw notFound('account');
    const key = generateApiKey();
    const prefix = key.slice(0, 12);
    const row = await this.apiKeys.create({ accountId, name: options.name ?? '', scope, prefix, keyHash: sha256Hex(key) });
    return { id: row.id, key, prefix, name: row.name, scope: row.scope, account_id: row.accountId };
  }

  async listApiKeys(accountId: string) {
    const keys = await this.apiKeys.listForAccount(accountId);
    return keys.map((k) => ({
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      scope: k.scope,
      created_at: k.createdAt,
      last_used_at: k.lastUsedAt,
      revoked_at: k.revokedAt,
    }));
  }

  async revokeApiKey(accountId: string, keyId: string): Promise<void> {
    if (!(await this.apiKeys.revoke(accountId, keyId))) throw notFound('api key');
  }
}

export interface AccountView {
  id: string;
  name: string;
  /** Where notices about the account go (a webhook endpoint disabled); null: its owners'. */
  email: string | null;
  send_limit_per_hour: number | null;
  created_at: Date;
}

function view(account: { id: string; name: string; email: string | null; sendLimitPerHour: number | null; createdAt: Date }): AccountView {
  return { id: account.id, name: account.name, email: account.email, send_limit_per_hour: account.sendLimitPerHour, created_at: account.createdAt };
}

/** An account's notice address: one plain addr-spec, lower-cased domain. */
function noticeAddress(value: string): string {
  const email = value.trim();
  if (email.length > 320 || !/^[^\s@<>",;:()\[\]]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$/.test(email)) {
    throw new DomainError('invalid', 'invalid_email', 'email must be one address, like ops@example.com');
  }
  const at = email.lastIndexOf('@');
  return `${email.slice(0, at)}@${email.slice(at + 1).toLowerCase()}`;
}
