import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { AppConfig } from '@mailroom/config';
import { Secrets } from '@mailroom/crypto';
import { MailboxRepository, Sql } from '@mailroom/db';
import { createLogger } from '@mailroom/logger';
import { PlatformModule } from '@mailroom/platform';
import { createTestDatabase, freePort, testConfig, type TestDatabase } from '@mailroom/testing';
import { ReturnPath } from '@mailroom/verp';
import { InboundModule } from '../src/inbound/inbound.module';
import { InboundServer } from '../src/inbound/inbound-server';

export const SECRET = 'inbound-test-secret-0123456789abcdef0123456789';

export interface InboundHarness {
  app: INestApplicationContext;
  config: AppConfig;
  db: TestDatabase;
  sql: Sql;
  port: number;
  returnPath: ReturnPath;
  close(): Promise<void>;
}

/** The inbound MX alone (PlatformModule + InboundModule) on a free loopback port, over a database of its own. */
export async function startInbound(env: Record<string, string> = {}): Promise<InboundHarness> {
  const db = await createTestDatabase();
  const config = testConfig(db.url, { SECRET_KEY: SECRET, SMTP_INBOUND_PORT: String(await freePort()), ...env });
  const logger = createLogger(config.LOG_LEVEL, 'test-inbound');
  const app = await NestFactory.createApplicationContext({ module: class InboundTestRoot {}, imports: [PlatformModule.forRoot(config, logger), InboundModule] }, { logger: false });
  await app.init();
  return {
    app,
    config,
    db,
    sql: app.get(Sql),
    port: app.get(InboundServer).port,
    returnPath: new ReturnPath(app.get(Secrets)),
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

export interface SeededDomain {
  accountId: string;
  domainId: string;
  name: string;
  returnPathDomain: string;
}

/**
 * An account and a sending domain, optionally with a bounce mailbox and a catch-all. The domain
 * is stored as verify() leaves one whose records were all found: owned and verified (the inbound
 * MX receives mail only for domains whose ownership was proven).
 */
export async function seedDomain(h: InboundHarness, name: string): Promise<SeededDomain> {
  const accountId = randomUUID();
  const domainId = randomUUID();
  await h.sql.query(`INSERT INTO accounts (id, name) VALUES ($1, $2)`, [accountId, `account of ${name}`]);
  await h.sql.query(
    `INSERT INTO domains (id, account_id, name, return_path_domain, ownership_token, owned_at, spf_verified, dkim_verified, dmarc_verified, return_path_verified, verified_at, last_checked_at)
     VALUES ($1, $2, $3, $4, $5, now(), true, true, true, true, now(), now())`,
    [domainId, accountId, name, `mr-bounces.${name}`, randomUUID().replace(/-/g, '')],
  );
  return { accountId, domainId, name, returnPathDomain: `mr-bounces.${name}` };
}

export async function seedMailbox(h: InboundHarness, domain: SeededDomain, address: string, role?: 'bounces' | 'catch-all'): Promise<string> {
  const mailbox = await h.app.get(MailboxRepository).create({ accountId: domain.accountId, domainId: domain.domainId, address, passwordHash: 'x' });
  if (role === 'bounces') await h.sql.query(`UPDATE domains SET bounce_mailbox_id = $1 WHERE id = $2`, [mailbox.id, domain.domainId]);
  if (role === 'catch-all') await h.sql.query(`UPDATE domains SET catch_all_mailbox_id = $1 WHERE id = $2`, [mailbox.id, domain.domainId]);
  return mailbox.id;
}

/** startInbound with shop.example seeded and its bounces mailbox, where the reports tests send DSNs and complaints. */
export async function startShopInbound(env: Record<string, string> = {}): Promise<{ h: InboundHarness; shop: SeededDomain; bounceBox: string }> {
  const h = await startInbound(env);
  const shop = await seedDomain(h, 'shop.example');
  return { h, shop, bounceBox: await seedMailbox(h, shop, 'bounces@shop.example', 'bounces') };
}

export interface SeededMessage {
  messageId: string;
  messageIdHeader: string;
  recipients: Array<{ id: string; email: string }>;
}

/** An outbound message already delivered (or in `status`) to the given recipients. */
export async function seedMessage(h: InboundHarness, domain: SeededDomain, emails: string[], status = 'delivered', stream = 'transactional'): Promise<SeededMessage> {
  const messageId = randomUUID();
  const messageIdHeader = `${messageId}@${domain.name}`;
  await h.sql.query(
    `INSERT INTO messages (id, account_id, domain_id, stream, from_address, subject, message_id_header, raw, size)
     VALUES ($1, $2, $3, $4::message_stream, $5, 'Your receipt', $6, $7, 10)`,
    [messageId, domain.accountId, domain.domainId, stream, `hello@${domain.name}`, messageIdHeader, Buffer.from('Subject: x\r\n\r\nx')],
  );
  const recipients = emails.map((email) => ({ id: randomUUID(), email }));
  for (const r of recipients) {
    await h.sql.query(`INSERT INTO recipients (id, message_id, account_id, email, domain, status, attempts) VALUES ($1, $2, $3, $4, $5, $6::recipient_status, 1)`, [
      r.id,
      messageId,
      domain.accountId,
      r.email,
      r.email.split('@')[1],
      status,
    ]);
  }
  return { messageId, messageIdHeader, recipients };
}

export interface SentToOne {
  message: SeededMessage;
  recipient: { id: string; email: string };
  /** The recipient's VERP address: where reports about this delivery come back. */
  verp: string;
}

/** An outbound message to one recipient (seedMessage), and the return path its reports are sent to. */
export async function seedSentToOne(h: InboundHarness, domain: SeededDomain, email: string, status = 'delivered', stream = 'transactional'): Promise<SentToOne> {
  const message = await seedMessage(h, domain, [email], status, stream);
  const [recipient] = message.recipients;
  const verp = h.returnPath.address({ kind: 'recipient', recipientId: recipient.id }, domain.returnPathDomain);
  return { message, recipient, verp };
}

/**
 * A raw SMTP client for protocol tests: every reply is read whole (multi-line aware), nothing
 * is hidden by a library's own checks.
 */
export class RawSmtp {
  private buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      this.buffer += data;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<RawSmtp> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawSmtp(socket);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** The next complete reply (all its lines joined by \n), or '' when the server closed. */
  async reply(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(this.buffer);
      if (match) {
        this.buffer = this.buffer.slice(match[0].length);
        return match[0].replace(/\r/g, '').trimEnd();
      }
      if (this.closed) return '';
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no SMTP reply within ${timeoutMs} ms; buffer: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** Greeting, EHLO; returns the EHLO reply. */
  async hello(name = 'client.example.org'): Promise<string> {
    await this.reply();
    return this.command(`EHLO ${name}`);
  }

  /** DATA, the message (dot-stuffed), the final dot; returns the reply to the message. */
  async data(message: string | Buffer): Promise<string> {
    const go = await this.command('DATA');
    if (!go.startsWith('354')) return go;
    const text = Buffer.isBuffer(message) ? message.toString('latin1') : message;
    const stuffed = text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.write(Buffer.from(`${stuffed}${stuffed.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1'));
    return this.reply(15_000);
  }

  /** A whole transaction; returns the replies to MAIL, each RCPT and the data (if reached). */
  async send(from: string, to: string[], message: string): Promise<{ mail: string; rcpt: string[]; data?: string }> {
    const mail = await this.command(`MAIL FROM:<${from}>`);
    const rcpt: string[] = [];
    for (const address of to) rcpt.push(await this.command(`RCPT TO:<${address}>`));
    const data = rcpt.some((r) => r.startsWith('250')) ? await this.data(message) : undefined;
    if (!data) await this.command('RSET');
    return { mail, rcpt, data };
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Sends one message over a fresh connection; returns the replies. */
export async function sendOnce(port: number, from: string, to: string[], message: string): Promise<{ mail: string; rcpt: string[]; data?: string }> {
  const client = await RawSmtp.open(port);
  try {
    await client.hello();
    return await client.send(from, to, message);
  } finally {
    client.write('QUIT\r\n');
    client.close();
  }
}
