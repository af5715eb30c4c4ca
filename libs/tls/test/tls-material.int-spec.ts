import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NestFactory } from '@nestjs/core';
import { createLogger } from '@mailroom/logger';
import { PlatformModule } from '@mailroom/platform';
import { TlsMaterial } from '@mailroom/tls';
import { createTestDatabase, testConfig, type TestDatabase } from '@mailroom/testing';

describe('TlsMaterial', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  async function material() {
    const config = testConfig(db.url);
    const context = await NestFactory.createApplicationContext(
      { module: class TlsTestRoot {}, imports: [PlatformModule.forRoot(config, createLogger('silent', 'test'))] },
      { logger: false },
    );
    return { tls: context.get(TlsMaterial), close: () => context.close() };
  }

  it('generates one self-signed certificate for MAIL_HOSTNAME and every process gets the same', async () => {
    const first = await material();
    const second = await material();
    try {
      const [a, b] = await Promise.all([first.tls.keyPair(), second.tls.keyPair()]);
      expect(a.cert).toBe(b.cert);
      const cert = new X509Certificate(a.cert);
      expect(cert.subject).toContain('CN=mx.mailroom.test');
      expect(cert.checkHost('mx.mailroom.test')).toBe('mx.mailroom.test');
      expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
      await expect(first.tls.secureContext()).resolves.toBeDefined();
    } finally {
      await first.close();
      await second.close();
    }
  });
});
