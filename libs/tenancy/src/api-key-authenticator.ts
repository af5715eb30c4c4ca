import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { ApiKeyRepository } from '@mailroom/db';
import { sha256Hex } from '@mailroom/crypto';

export interface Principal {
  keyId: string;
  /** The account the key belongs to; null for admin keys that belong to none. */
  accountId: string | null;
  admin: boolean;
}

/** Positive answers are cached briefly: authentication then costs no query on the hot send path. */
const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 10_000;

@Injectable()
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { principal: Principal; expires: number }>();
  private readonly adminKey: Buffer | null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly apiKeys: ApiKeyRepository,
  ) {
    this.adminKey = config.ADMIN_API_KEY ? Buffer.from(sha256Hex(config.ADMIN_API_KEY)) : null;
  }

  async authenticate(token: string): Promise<Principal | null> {
    const hash = sha256Hex(token);
    if (this.adminKey && timingSafeEqual(Buffer.from(hash), this.adminKey)) {
      return { keyId: 'ADMIN_API_KEY', accountId: null, admin: true };
    }
    const cached = this.cache.get(hash);
    if (cached && cached.expires > Date.now()) return cached.principal;
    const key = await this.apiKeys.findActiveByHash(hash);
    if (!key) {
      this.cache.delete(hash);
      return null;
    }
    const principal: Principal = { keyId: key.id, accountId: key.accountId, admin: key.scope === 'admin' };
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { principal, expires: Date.now() + CACHE_TTL_MS });
    void this.apiKeys.touch(key.id).catch(() => undefined);
    return principal;
  }
}
