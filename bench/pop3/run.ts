/**
 * npm run bench:pop3 [-- --messages 1000 --clients 10 --rounds 3 --pipeline 1]
 *
 * N POP3 clients at once, each logging in to the same 1,000-message INBOX and running
 * STAT, LIST, UIDL and then RETR of every message (one command in flight, as poplib and
 * fetchmail do; --pipeline K keeps K RETRs in flight, RFC 2449 PIPELINING), then QUIT without
 * deleting. The clients log in first, all at once, timed apart (both servers hash passwords
 * slowly on purpose: scrypt here, Argon2id there); then the retrievals are timed. Against Mailroom's `imap` process (dist/apps/imap/src/main.js) and a standalone
 * Dovecot POP3 holding the same messages as a Maildir, back to back in each round. Prints
 * messages retrieved per second for both, and CPU seconds of each server per 1,000 messages.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Client } from 'pg';
import { hashPassword } from '@mailroom/crypto';
import { prepareMessage } from '@mailroom/mailstore';
import { freePort, spawnBuilt, TEST_REDIS_URL } from '@mailroom/testing';
import { createBenchDatabase } from '../lib/installation';
import { bounceMessage, seedFolder } from '../lib/mail-seed';
import { cpuSeconds, fmt, option } from '../lib/measure';
import { DovecotPop3 } from './dovecot';

const MESSAGES = option('messages', 'BENCH_MESSAGES', 1000);
const CLIENTS = option('clients', 'BENCH_CLIENTS', 10);
const ROUNDS = option('rounds', 'BENCH_ROUNDS', 3);
const PIPELINE = option('pipeline', 'BENCH_PIPELINE', 1);
const ADDRESS = 'bounces@pop3.bench';
const PASSWORD = 'bench-password-1';

/** A minimal POP3 client: answers are matched to commands in order (single-line or multi-line). */
class BenchPop3 {
  private chunks: Buffer[] = [];
  private pending: Array<{ multi: boolean; resolve: (answer: Buffer) => void; reject: (error: Error) => void }> = [];
  octets = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.check();
    });
    socket.on('close', () => this.pending.splice(0).forEach((p) => p.reject(new Error('connection closed'))));
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<BenchPop3> {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new BenchPop3(socket);
    const greeting = await client.expect(false);
    if (!greeting.toString('latin1').startsWith('+OK')) throw new Error(`greeting: ${greeting}`);
    return client;
  }

  private expect(multi: boolean): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.pending.push({ multi, resolve, reject });
      this.check();
    });
  }

  private check(): void {
    while (this.pending.length && this.chunks.length) {
      const buffer = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [buffer];
      const head = this.pending[0];
      const lineEnd = buffer.indexOf('\r\n');
      if (lineEnd === -1) return;
      let end = lineEnd + 2;
      if (head.multi && buffer[0] === 0x2b) {
        const terminator = buffer.indexOf('\r\n.\r\n', lineEnd);
        if (terminator === -1) return;
        end = terminator + 5;
      }
      this.pending.shift();
      this.chunks = end < buffer.length ? [buffer.subarray(end)] : [];
      this.octets += end;
      head.resolve(buffer.subarray(0, end));
    }
  }

  async command(text: string, multi = false): Promise<string> {
    this.socket.write(`${text}\r\n`);
    const answer = await this.expect(multi);
    const status = answer.subarray(0, Math.min(answer.length, 200)).toString('latin1');
    if (!status.startsWith('+OK')) throw new Error(`${text}: ${status.split('\r\n')[0]}`);
    return status;
  }

  /** RETR 1..count with `window` commands in flight. */
  async retrieveAll(count: number, window: number): Promise<void> {
    let next = 1;
    const inFlight: Array<Promise<string>> = [];
    while (next <= count || inFlight.length) {
      while (next <= count && inFlight.length < window) inFlight.push(this.command(`RETR ${next++}`, true));
      await inFlight.shift();
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A client logged in (USER, PASS), ready for the measured part of its session. */
async function loggedIn(port: number): Promise<BenchPop3> {
  const client = await BenchPop3.open(port);
  await client.command(`USER ${ADDRESS}`);
  await client.command(`PASS ${PASSWORD}`);
  return client;
}

/** The measured part: STAT, LIST, UIDL, RETR of every message, QUIT; the number of messages retrieved. */
async function retrieve(client: BenchPop3): Promise<number> {
  try {
    const stat = await client.command('STAT');
    const count = Number(stat.split(' ')[1]);
    if (count !== MESSAGES) throw new Error(`STAT says ${count} messages, expected ${MESSAGES}`);
    await client.command('LIST', true);
    await client.command('UIDL', true);
    await client.retrieveAll(count, PIPELINE);
    await client.command('QUIT');
    return count;
  } finally {
    client.close();
  }
}

interface Figures {
  perSecond: number;
  seconds: number;
  /** Server CPU seconds per 1,000 messages retrieved; for Mailroom the imap process, then the PostgreSQL backends serving it. */
  cpuPerThousand: number[];
  /** Wall time for all clients to log in at once. */
  loginSeconds: number;
}

/**
 * All clients log in at once, then (timed) each retrieves the whole INBOX. Logins are timed
 * apart: both servers hash passwords slowly on purpose, and that is not what this measures.
 */
async function measure(port: number, cpu: () => Promise<number[]>): Promise<Figures> {
  const loginStarted = process.hrtime.bigint();
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => loggedIn(port)));
  const loginSeconds = Number(process.hrtime.bigint() - loginStarted) / 1e9;
  const cpuBefore = await cpu();
  const started = process.hrtime.bigint();
  const counts = await Promise.all(clients.map((client) => retrieve(client)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const retrieved = counts.reduce((a, b) => a + b, 0);
  return { perSecond: retrieved / seconds, seconds, loginSeconds, cpuPerThousand: (await cpu()).map((after, i) => ((after - cpuBefore[i]!) / retrieved) * 1000) };
}

async function waitForListener(port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const client = await BenchPop3.open(port);
      client.close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`pop3 did not start:\n${output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  if (!DovecotPop3.available()) {
    console.error('bench:pop3 needs Dovecot for the comparison: apt-get install -y dovecot-pop3d dovecot-imapd');
    process.exit(1);
  }
  const messages = Array.from({ length: MESSAGES }, (_, i) => bounceMessage(i + 1, ADDRESS));
  const db = await createBenchDatabase();
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const accountId = randomUUID();
  const domainId = randomUUID();
  const mailboxId = randomUUID();
  const folderId = randomUUID();
  await pg.query(`INSERT INTO accounts (id, name) VALUES ($1, 'bench')`, [accountId]);
  await pg.query(`INSERT INTO domains (id, account_id, name, return_path_domain, ownership_token, owned_at) VALUES ($1, $2, 'pop3.bench', 'mr-bounces.pop3.bench', md5(random()::text), now())`, [domainId, accountId]);
  await pg.query(`INSERT INTO mailboxes (id, account_id, domain_id, address, password_hash) VALUES ($1, $2, $3, $4, $5)`, [mailboxId, accountId, domainId, ADDRESS, await hashPassword(PASSWORD)]);
  await pg.query(`INSERT INTO folders (id, mailbox_id, name, uid_validity) VALUES ($1, $2, 'INBOX', 1)`, [folderId, mailboxId]);
  await seedFolder(pg, folderId, MESSAGES, (uid) => messages[uid - 1]!);
  const octets = messages.reduce((sum, m) => sum + prepareMessage(m).raw.length, 0);

  const port = await freePort();
  const imap = spawnBuilt('dist/apps/imap/src/main.js', {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: db.prefix,
    IMAP_PORT: String(await freePort()),
    IMAPS_PORT: String(await freePort()),
    POP3_PORT: String(port),
    POP3S_PORT: String(await freePort()),
    MAIL_HOSTNAME: 'mx.mailroom.test',
    LOG_LEVEL: 'warn',
  });
  const dovecot = await DovecotPop3.start({ port: await freePort(), user: ADDRESS, password: PASSWORD, messages });
  try {
    await waitForListener(port, imap.output);
    console.log(`bench:pop3  messages=${fmt(MESSAGES)} (${fmt(octets / 1024 / 1024, 1)} MiB) clients=${CLIENTS} rounds=${ROUNDS} pipeline=${PIPELINE}  (imap pid ${imap.pid}; dovecot ${dovecot.dir})`);
    // Warm-up, one untimed round each: Dovecot builds its index and size cache, Mailroom fills
    // its connection pool and V8 compiles the hot path.
    await measure(port, async () => []);
    await measure(dovecot.port, async () => []);

    const ours: Figures[] = [];
    const theirs: Figures[] = [];
    // PostgreSQL: the backends serving this benchmark's database only (other work shares the server).
    const backends = new Set<number>();
    const mailroomCpu = async () => {
      const rows = await pg.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      for (const row of rows.rows) backends.add(row.pid);
      return [cpuSeconds(imap.pid!), [...backends].reduce((sum, pid) => sum + (cpuSeconds(pid) || 0), 0)];
    };
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate who goes first, so neither side always meets the machine in the same state.
      const order = round % 2 ? (['mailroom', 'dovecot'] as const) : (['dovecot', 'mailroom'] as const);
      for (const side of order) {
        if (side === 'mailroom') ours.push(await measure(port, mailroomCpu));
        else theirs.push(await measure(dovecot.port, async () => [dovecot.cpuSeconds()]));
      }
      const a = ours[ours.length - 1]!;
      const b = theirs[theirs.length - 1]!;
      console.log(
        `round ${round}: mailroom ${fmt(a.perSecond)} msg/s (${fmt(a.seconds, 2)} s; CPU s per 1k: imap ${fmt(a.cpuPerThousand[0]!, 3)} + postgres ${fmt(a.cpuPerThousand[1]!, 3)}; logins ${fmt(a.loginSeconds, 2)} s)   ` +
          `dovecot ${fmt(b.perSecond)} msg/s (${fmt(b.seconds, 2)} s; CPU s per 1k: ${fmt(b.cpuPerThousand[0]!, 3)}; logins ${fmt(b.loginSeconds, 2)} s)`,
      );
    }
    const a = median(ours.map((f) => f.perSecond));
    const b = median(theirs.map((f) => f.perSecond));
    console.log(`median: mailroom ${fmt(a)} msg/s, dovecot ${fmt(b)} msg/s, ratio ${fmt(a / b, 2)}`);
  } finally {
    imap.kill('SIGTERM');
    await new Promise((r) => imap.once('exit', r));
    await dovecot.stop();
    await pg.end();
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
