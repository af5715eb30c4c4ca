/**
 * npm run bench:imap [-- --messages 10000 --sessions 50 --seconds 20]
 * npm run bench:imap -- --mix ...   (Mailroom against Dovecot, or any server: see mix.ts)
 *
 * Many concurrent IMAP sessions against a real `imap` process (dist/apps/imap/src/main.js) whose
 * INBOX holds 10,000 messages (bounce reports, some multipart). Each session logs in, selects
 * INBOX and then, for the given time, runs a mix of SELECT, FETCH (a page of ENVELOPEs, or one
 * whole message), SEARCH and STORE, one command at a time, as a mail client does. Prints
 * operations/s and latency percentiles per command, then the time from MailStore.append in
 * this process to the EXISTS seen by sessions idling in the imap process.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { loadConfig } from '@mailroom/config';
import { hashPassword } from '@mailroom/crypto';
import { createLogger } from '@mailroom/logger';
import { MailStore, MailStoreModule } from '@mailroom/mailstore';
import { PlatformModule } from '@mailroom/platform';
import { freePort, spawnBuilt, TEST_REDIS_URL } from '@mailroom/testing';
import { createBenchDatabase } from '../lib/installation';
import { bounceMessage, seedFolder } from '../lib/mail-seed';
import { cpuSeconds, fmt, option, peakRssMiB, percentile } from '../lib/measure';
import { runMix } from './mix';

const MESSAGES = option('messages', 'BENCH_MESSAGES', 10_000);
const SESSIONS = option('sessions', 'BENCH_SESSIONS', 50);
const SECONDS = option('seconds', 'BENCH_SECONDS', 20);
const IDLERS = option('idlers', 'BENCH_IDLERS', 20);
const ADDRESS = 'bounces@imap.bench';
const PASSWORD = 'bench-password-1';

/** A minimal IMAP client: one command in flight, answer complete at its tagged line. */
class BenchClient {
  private buffer = '';
  private waiting: { tag: string; resolve: (text: string) => void; reject: (error: Error) => void } | null = null;
  private untaggedWaiter: { pattern: RegExp; resolve: () => void } | null = null;
  private n = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly id: number,
  ) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.check();
    });
    socket.on('close', () => this.waiting?.reject(new Error('connection closed')));
  }

  static async open(port: number, id: number): Promise<BenchClient> {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new BenchClient(socket, id);
    await client.until(/^\* OK/m);
    client.buffer = '';
    return client;
  }

  private check(): void {
    if (this.untaggedWaiter && this.untaggedWaiter.pattern.test(this.buffer)) {
      const waiter = this.untaggedWaiter;
      this.untaggedWaiter = null;
      waiter.resolve();
    }
    if (!this.waiting) return;
    const marker = `${this.waiting.tag} `;
    const at = this.buffer.startsWith(marker) ? 0 : this.buffer.indexOf(`\r\n${marker}`);
    if (at === -1) return;
    const end = this.buffer.indexOf('\r\n', at + 2);
    if (end === -1) return;
    const text = this.buffer.slice(0, end + 2);
    this.buffer = this.buffer.slice(end + 2);
    const waiting = this.waiting;
    this.waiting = null;
    waiting.resolve(text);
  }

  until(pattern: RegExp): Promise<void> {
    if (pattern.test(this.buffer)) return Promise.resolve();
    return new Promise((resolve) => (this.untaggedWaiter = { pattern, resolve }));
  }

  command(text: string): Promise<string> {
    const tag = `B${this.id}x${++this.n}`;
    return new Promise((resolve, reject) => {
      this.waiting = { tag, resolve, reject };
      this.socket.write(`${tag} ${text}\r\n`);
    }).then((answer) => {
      const status = new RegExp(`^${tag} (OK|NO|BAD)`, 'm').exec(answer as string)?.[1];
      if (status !== 'OK') throw new Error(`${text} -> ${(answer as string).slice(-200)}`);
      return answer as string;
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  clear(): void {
    this.buffer = '';
  }

  close(): void {
    this.socket.destroy();
  }
}

type Op = { name: string; weight: number; run: (c: BenchClient, rand: () => number) => Promise<unknown> };

const OPS: Op[] = [
  { name: 'SELECT INBOX', weight: 5, run: (c) => c.command('SELECT INBOX') },
  {
    name: 'FETCH 50 (FLAGS ENVELOPE ...)',
    weight: 30,
    run: (c, r) => {
      const from = 1 + Math.floor(r() * (MESSAGES - 50));
      return c.command(`FETCH ${from}:${from + 49} (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)`);
    },
  },
  { name: 'UID FETCH 1 BODY.PEEK[]', weight: 20, run: (c, r) => c.command(`UID FETCH ${1 + Math.floor(r() * MESSAGES)} (BODY.PEEK[] BODYSTRUCTURE)`) },
  {
    name: 'SEARCH',
    weight: 15,
    run: (c, r) => {
      const pick = Math.floor(r() * 4);
      const program = [`UNSEEN`, `FROM mx${Math.floor(r() * 50)}.example.net`, `SUBJECT "#${Math.floor(r() * MESSAGES)}"`, `SINCE 1-Nov-2026 FLAGGED`][pick];
      return c.command(`UID SEARCH ${program}`);
    },
  },
  { name: 'UID STORE +/-FLAGS', weight: 25, run: (c, r) => c.command(`UID STORE ${1 + Math.floor(r() * MESSAGES)} ${r() < 0.5 ? '+' : '-'}FLAGS (\\Seen)`) },
];

async function main(): Promise<void> {
  const db = await createBenchDatabase();
  const { name: dbName, url, prefix } = db;
  const pg = new Client({ connectionString: url });
  await pg.connect();

  const accountId = randomUUID();
  const domainId = randomUUID();
  const mailboxId = randomUUID();
  const folderId = randomUUID();
  await pg.query(`INSERT INTO accounts (id, name) VALUES ($1, 'bench')`, [accountId]);
  // Owned, as verify() leaves a domain whose ownership record was found: only those receive mail.
  await pg.query(`INSERT INTO domains (id, account_id, name, return_path_domain, ownership_token, owned_at) VALUES ($1, $2, 'imap.bench', 'mr-bounces.imap.bench', md5(random()::text), now())`, [domainId, accountId]);
  await pg.query(`INSERT INTO mailboxes (id, account_id, domain_id, address, password_hash) VALUES ($1, $2, $3, $4, $5)`, [mailboxId, accountId, domainId, ADDRESS, await hashPassword(PASSWORD)]);
  await pg.query(`INSERT INTO folders (id, mailbox_id, name, uid_validity) VALUES ($1, $2, 'INBOX', 1), ($3, $2, 'Bounces', 1)`, [folderId, mailboxId, randomUUID()]);
  const seedStart = Date.now();
  await seedFolder(pg, folderId, MESSAGES, (uid) => bounceMessage(uid, ADDRESS), (uid) => [...(uid % 2 ? ['\\Seen'] : []), ...(uid % 17 === 0 ? ['\\Flagged'] : [])]);
  const seedSeconds = (Date.now() - seedStart) / 1000;

  const port = await freePort();
  const imap = spawnBuilt('dist/apps/imap/src/main.js', {
    DATABASE_URL: url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    IMAP_PORT: String(port),
    IMAPS_PORT: String(await freePort()),
    POP3_PORT: String(await freePort()),
    POP3S_PORT: String(await freePort()),
    MAIL_HOSTNAME: 'mx.mailroom.test',
    LOG_LEVEL: 'warn',
  });
  const config = loadConfig({ DATABASE_URL: url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, MAIL_HOSTNAME: 'mx.mailroom.test', LOG_LEVEL: 'silent' });
  const filer = await NestFactory.createApplicationContext(
    { module: class BenchFiler {}, imports: [PlatformModule.forRoot(config, createLogger('silent', 'bench')), MailStoreModule] },
    { logger: false },
  );
  try {
    await waitForImap(port, imap.output);
    console.log(`bench:imap  messages=${fmt(MESSAGES)} sessions=${SESSIONS} seconds=${SECONDS}  (imap process pid ${imap.pid}; INBOX seeded in ${fmt(seedSeconds, 1)} s)`);

    const clients = await Promise.all(Array.from({ length: SESSIONS }, (_, i) => BenchClient.open(port, i)));
    const loginStart = Date.now();
    await Promise.all(clients.map((c) => c.command(`LOGIN ${ADDRESS} ${PASSWORD}`)));
    const loginMs = Date.now() - loginStart;
    await Promise.all(clients.map((c) => c.command('SELECT INBOX')));

    const latencies = new Map<string, number[]>(OPS.map((op) => [op.name, []]));
    const totalWeight = OPS.reduce((sum, op) => sum + op.weight, 0);
    const cpuBefore = cpuSeconds(imap.pid!);
    const started = Date.now();
    const deadline = started + SECONDS * 1000;
    await Promise.all(
      clients.map(async (client, i) => {
        let seed = i + 1;
        const rand = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
        while (Date.now() < deadline) {
          let pick = rand() * totalWeight;
          const op = OPS.find((o) => (pick -= o.weight) < 0) ?? OPS[0];
          const t0 = process.hrtime.bigint();
          await op.run(client, rand);
          latencies.get(op.name)!.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    const cpu = cpuSeconds(imap.pid!) - cpuBefore;

    let total = 0;
    const lines = [`${'command'.padEnd(32)} ${'ops'.padStart(7)} ${'ops/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`];
    for (const op of OPS) {
      const list = latencies.get(op.name)!.sort((a, b) => a - b);
      total += list.length;
      lines.push(`${op.name.padEnd(32)} ${fmt(list.length).padStart(7)} ${fmt(list.length / elapsed).padStart(8)} ${fmt(percentile(list, 50), 1).padStart(8)} ${fmt(percentile(list, 99), 1).padStart(8)}`);
    }
    lines.push(`${'all'.padEnd(32)} ${fmt(total).padStart(7)} ${fmt(total / elapsed).padStart(8)}`);
    console.log(lines.join('\n'));
    console.log(`logins: ${SESSIONS} in ${fmt(loginMs)} ms (scrypt)   imap process CPU ${fmt((cpu / elapsed) * 100)}% of one core   peak RSS imap ${fmt(peakRssMiB(imap.pid!))} MiB`);
    for (const c of clients) c.close();

    // New mail filed by another process reaching sessions that idle in the imap process.
    const idlers = await Promise.all(Array.from({ length: IDLERS }, (_, i) => BenchClient.open(port, 1000 + i)));
    for (const c of idlers) {
      await c.command(`LOGIN ${ADDRESS} ${PASSWORD}`);
      await c.command('SELECT Bounces');
    }
    const store = filer.get(MailStore);
    const wake: number[] = [];
    for (let n = 1; n <= 20; n++) {
      for (const c of idlers) {
        c.clear();
        c.send(`I${n} IDLE\r\n`);
      }
      await Promise.all(idlers.map((c) => c.until(/^\+ idling/m)));
      const t0 = process.hrtime.bigint();
      await Promise.all([
        store.append({ mailboxId, folder: 'Bounces', raw: bounceMessage(n, ADDRESS) }),
        ...idlers.map((c) => c.until(new RegExp(`^\\* ${n} EXISTS`, 'm')).then(() => wake.push(Number(process.hrtime.bigint() - t0) / 1e6))),
      ]);
      for (const c of idlers) {
        c.clear();
        c.send('DONE\r\n');
      }
      await Promise.all(idlers.map((c) => c.until(new RegExp(`^I${n} OK`, 'm'))));
    }
    wake.sort((a, b) => a - b);
    console.log(`IDLE wake-up: MailStore.append in the bench process -> "* n EXISTS" at ${IDLERS} idling sessions (${wake.length} wake-ups): p50 ${fmt(percentile(wake, 50), 1)} ms  p99 ${fmt(percentile(wake, 99), 1)} ms`);
    for (const c of idlers) c.close();
  } catch (error) {
    console.error(imap.output().slice(-3000));
    throw error;
  } finally {
    imap.kill('SIGTERM');
    await new Promise((resolve) => imap.once('exit', resolve));
    await filer.close();
    await pg.end();
    if (!process.env.BENCH_KEEP_DB) await db.drop();
    else console.log(`kept database ${dbName}`);
  }
}

async function waitForImap(port: number, output: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('data', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`imap process did not start:\n${output().slice(-2000)}`);
}

// --mix: the mixed workload of issue 15 against Mailroom and Dovecot, or any server (mix.ts).
(process.argv.includes('--mix') ? runMix() : main()).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
