import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { SettingRepository } from '@mailroom/db';
import { Secrets } from '@mailroom/crypto';

export interface TlsKeyPair {
  key: string;
  cert: string;
}

/**
 * The certificate every TLS listener (STARTTLS and implicit TLS, SMTP and IMAP) presents:
 * TLS_CERT_FILE/TLS_KEY_FILE when configured, otherwise a self-signed one generated once for
 * MAIL_HOSTNAME and kept in the database (the key sealed with SECRET_KEY), so that every
 * process of an installation presents the same certificate and it survives restarts.
 */
@Injectable()
export class TlsMaterial {
  private pair?: Promise<TlsKeyPair>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly settings: SettingRepository,
    private readonly secrets: Secrets,
  ) {}

  keyPair(): Promise<TlsKeyPair> {
    this.pair ??= this.load();
    return this.pair;
  }

  async secureContext(): Promise<SecureContext> {
    return createSecureContext(await this.keyPair());
  }

  private async load(): Promise<TlsKeyPair> {
    const { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, MAIL_HOSTNAME: host } = this.config;
    if (certFile && keyFile) {
      const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
      createSecureContext({ cert, key }); // a mismatched or unreadable pair fails at start, not at the first STARTTLS
      return { cert, key };
    }
    if (certFile || keyFile) throw new Error('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
    const box = this.secrets.box('tls-keys');
    const name = `tls_self_signed:${host}`;
    let sealed = await this.settings.get(name);
    if (!sealed) {
      const generated = box.seal(JSON.stringify(await selfSigned(host)));
      // Two processes starting at once may both generate; the first stored wins for both.
      sealed = await this.settings.getOrCreate(name, () => generated);
    }
    return JSON.parse(box.open(sealed)) as TlsKeyPair;
  }
}

async function selfSigned(host: string): Promise<TlsKeyPair> {
  // Loaded only here, once per installation and host name: the generator and its ASN.1 libraries
  // cost every process about 28 MiB of resident memory (8 MiB of heap) if loaded at start.
  const { generate } = await import('selfsigned');
  const now = new Date();
  const result = await generate([{ name: 'commonName', value: host }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: host }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  } as Parameters<typeof generate>[1]);
  return { key: result.private, cert: result.cert };
}

@Global()
@Module({ providers: [TlsMaterial], exports: [TlsMaterial] })
export class TlsModule {}
