import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { SettingRepository } from '@mailroom/db';
import { SecretBox, deriveKey } from './secret-box';

export type SecretPurpose = 'dkim-keys' | 'tls-keys' | 'webhook-secrets' | 'verp' | 'tracking' | 'unsubscribe' | 'opt-in';

/**
 * The process's view of SECRET_KEY: sealed boxes and HMAC keys derived per purpose. When
 * SECRET_KEY is not configured, one is generated on first start and kept in the database, so
 * every process of the installation shares it.
 */
export class Secrets {
  private readonly boxes = new Map<SecretPurpose, SecretBox>();
  private readonly macKeys = new Map<SecretPurpose, Buffer>();

  constructor(private readonly secret: string) {}

  box(purpose: SecretPurpose): SecretBox {
    let box = this.boxes.get(purpose);
    if (!box) this.boxes.set(purpose, (box = new SecretBox(this.secret, purpose)));
    return box;
  }

  /** A truncated HMAC-SHA256 in base64url: short enough for a VERP local part or a URL. */
  sign(purpose: SecretPurpose, data: string, bytes = 12): string {
    let key = this.macKeys.get(purpose);
    if (!key) this.macKeys.set(purpose, (key = deriveKey(this.secret, `mac:${purpose}`)));
    return createHmac('sha256', key).update(data).digest().subarray(0, bytes).toString('base64url');
  }

  verify(purpose: SecretPurpose, data: string, signature: string, bytes = 12): boolean {
    const expected = Buffer.from(this.sign(purpose, data, bytes));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

export async function resolveSecrets(config: AppConfig, settings: SettingRepository): Promise<Secrets> {
  const secret = config.SECRET_KEY ?? (await settings.getOrCreate('secret_key', () => randomBytes(32).toString('base64url')));
  return new Secrets(secret);
}

@Global()
@Module({
  providers: [{ provide: Secrets, inject: [APP_CONFIG, SettingRepository], useFactory: resolveSecrets }],
  exports: [Secrets],
})
export class SecretsModule {}
