import type { Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ImapFlow } from 'imapflow';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AppConfig } from '@mailroom/config';
import { createLogger } from '@mailroom/logger';
import { MailStore } from '@mailroom/mailstore';
import { PlatformModule } from '@mailroom/platform';
import { createTestDatabase, freePort, testConfig, type TestDatabase } from '@mailroom/testing';
import { createTestMailbox, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { ImapModule } from '../src/imap.module';
import type { ImapOptions } from '../src/imap-options';
import { connectWire, WireClient, type WireOptions } from './wire-client';

export interface ImapHarness {
  app: INestApplicationContext;
  config: AppConfig;
  db: TestDatabase;
  port: number;
  tlsPort: number;
  pop3Port: number;
  pop3sPort: number;
  /** Another process's worth of the same installation (its own pools, Redis connections). */
  peer(): Promise<INestApplicationContext>;
  close(): Promise<void>;
}

export async function startImap(options: Partial<ImapOptions> = {}, env: Record<string, string> = {}): Promise<ImapHarness> {
  const db = await createTestDatabase();
  const port = await freePort();
  const tlsPort = await freePort();
  const pop3Port = await freePort();
  const pop3sPort = await freePort();
  const config = testConfig(db.url, { IMAP_PORT: String(port), IMAPS_PORT: String(tlsPort), POP3_PORT: String(pop3Port), POP3S_PORT: String(pop3sPort), ...env });
  const logger = createLogger(config.LOG_LEVEL, 'test-imap');
  const app = await NestFactory.createApplicationContext(
    { module: class ImapTestRoot {}, imports: [PlatformModule.forRoot(config, logger), ImapModule.withOptions(options)] },
    { logger: false },
  );
  await app.init();
  const peers: INestApplicationContext[] = [];
  return {
    app,
    config,
    db,
    port,
    tlsPort,
    pop3Port,
    pop3sPort,
    async peer() {
      const { MailStoreModule } = await import('@mailroom/mailstore');
      const peer = await NestFactory.createApplicationContext(
        { module: class ImapPeerRoot {}, imports: [PlatformModule.forRoot(config, logger), MailStoreModule] },
        { logger: false },
      );
      peers.push(peer);
      return peer;
    },
    async close() {
      for (const peer of peers) await peer.close();
      await app.close(); // a second close is a no-op
      await db.drop();
    },
  };
}

/** A new mailbox with `count` messages in its INBOX, the i-th (from 1) being `raw(i)`. */
export async function mailboxWith(imap: ImapHarness, count: number, raw: (i: number) => Buffer): Promise<TestMailbox> {
  const box = await createTestMailbox(imap.app);
  const store = imap.app.get(MailStore);
  for (let i = 1; i <= count; i++) await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: raw(i) });
  return box;
}

/** startImap and a mailbox with the given messages in its INBOX (none by default). */
export async function startImapWithMailbox(messages: Buffer[] = [], options: Partial<ImapOptions> = {}, env: Record<string, string> = {}): Promise<{ imap: ImapHarness; box: TestMailbox }> {
  const imap = await startImap(options, env);
  return { imap, box: await mailboxWith(imap, messages.length, (i) => messages[i - 1]!) };
}

/** An IPv4 address of this machine other than loopback, if it has one (the non-loopback tests skip without). */
export const EXTERNAL_IPV4 = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

/** An imapflow client logged in as `user`, not yet connected, and the commands it sends (imapflow logs each at debug level: { src: 'c', msg: 'A1 LIST ...' }). */
export function recordingImapFlow(port: number, user: { address: string; password: string }): { flow: ImapFlow; sent: string[] } {
  const sent: string[] = [];
  const record = (entry: { msg?: string; src?: string }) => {
    if (entry.src === 'c' && entry.msg) sent.push(entry.msg);
  };
  const flow = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: false,
    tls: { rejectUnauthorized: false },
    auth: { user: user.address, pass: user.password },
    logger: { debug: record, info: record, warn: () => undefined, error: () => undefined },
  });
  return { flow, sent };
}

/**
 * A bare IMAP client for protocol tests: sends exactly the bytes given and collects what the
 * server says, line by line, so tests can check the wire format itself.
 */
export class RawClient extends WireClient {
  private counter = 0;

  private constructor(socket: Socket) {
    super(socket, 'utf8');
  }

  /** `localAddress` binds the client's end (127.0.0.x are all loopback on Linux): another client address. */
  static async connect(port: number, options: WireOptions = {}): Promise<RawClient> {
    const client = new RawClient(await connectWire(port, options));
    await client.waitFor(/^\* (OK|BYE)/m);
    return client;
  }

  /** Everything received so far, and clears it. */
  take(): string {
    const out = this.buffer;
    this.buffer = '';
    return out;
  }

  // A guard against a hang, not a speed limit: with 5 s, ten wrong passwords on each of ten
  // connections (scrypt each) outlasted it on a machine at load 20.
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.buffer)) {
      if (this.closed) throw new Error(`connection closed while waiting for ${pattern}; got:\n${this.buffer}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; got:\n${this.buffer}`);
      await this.more(left);
    }
    return this.take();
  }

  /** Sends `tag command` and returns everything up to and including the tagged answer. */
  async command(text: string, timeoutMs?: number): Promise<string> {
    const tag = `t${++this.counter}`;
    this.send(`${tag} ${text}\r\n`);
    return this.waitFor(new RegExp(`^${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`, 'm'), timeoutMs);
  }
}
