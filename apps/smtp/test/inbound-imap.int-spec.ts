import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '@mailroom/crypto';
import { createLogger } from '@mailroom/logger';
import { PlatformModule } from '@mailroom/platform';
import { freePort, testConfig } from '@mailroom/testing';
import { ImapModule } from '../../imap/src/imap.module';
import { seedDomain, seedMailbox, sendOnce, SECRET, startInbound, type InboundHarness } from './inbound-harness';

/**
 * Mail accepted by the inbound MX wakes an IMAP client idling in another application context
 * (its own database pool, Redis connections and mail-store notifier, as another process has),
 * so the only path between them is the mail store's announcement over Redis.
 */
describe('inbound MX -> IMAP in another process', () => {
  let h: InboundHarness;
  let imap: INestApplicationContext;
  let imapPort: number;

  beforeAll(async () => {
    h = await startInbound();
    const shop = await seedDomain(h, 'shop.example');
    const mailboxId = await seedMailbox(h, shop, 'support@shop.example');
    await h.sql.query(`UPDATE mailboxes SET password_hash = $1 WHERE id = $2`, [await hashPassword('correct horse battery'), mailboxId]);
    imapPort = await freePort();
    const config = testConfig(h.db.url, { SECRET_KEY: SECRET, REDIS_PREFIX: h.config.REDIS_PREFIX, IMAP_PORT: String(imapPort), IMAPS_PORT: String(await freePort()), POP3_PORT: String(await freePort()), POP3S_PORT: String(await freePort()) });
    imap = await NestFactory.createApplicationContext(
      { module: class ImapPeerRoot {}, imports: [PlatformModule.forRoot(config, createLogger(config.LOG_LEVEL, 'test-imap')), ImapModule.withOptions({})] },
      { logger: false },
    );
    await imap.init();
  });

  afterAll(async () => {
    await imap?.close();
    await h?.close();
  });

  it('an IDLE client sees the new message at once, with the Authentication-Results the MX added', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: imapPort, secure: false, doSTARTTLS: false, auth: { user: 'support@shop.example', pass: 'correct horse battery' }, logger: false });
    await client.connect();
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const exists = new Promise<number>((resolve) => client.on('exists', (data: { count: number }) => resolve(data.count)));
        const idle = client.idle();
        await new Promise((r) => setTimeout(r, 200));
        const started = Date.now();
        const result = await sendOnce(h.port, 'customer@sender.example', ['support@shop.example'], 'From: customer@sender.example\r\nSubject: Where is my order?\r\n\r\nHello.\r\n');
        expect(result.data).toMatch(/^250 /);
        expect(await exists).toBe(1);
        expect(Date.now() - started).toBeLessThan(5000); // pushed during IDLE, not found by polling
        await client.noop();
        await idle.catch(() => undefined);
        const message = await client.fetchOne('1', { source: true, envelope: true });
        expect(message && message.envelope?.subject).toBe('Where is my order?');
        expect(message && message.source?.toString()).toMatch(/^Return-Path: <customer@sender\.example>\r\nDelivered-To: support@shop\.example\r\n[\s\S]*Authentication-Results: mx\.mailroom\.test;/);
      } finally {
        lock.release();
      }
    } finally {
      await client.logout().catch(() => undefined);
    }
  });
});
