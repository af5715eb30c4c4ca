/**
 * npm run bench:imap -- --mix [--seconds 30 --clients 10 --folders 20 --folder-messages 30 --sessions 100]
 *     Mailroom's `imap` process and a standalone Dovecot (Debian's dovecot-imapd), one after the
 *     other, the same workload, printed side by side. --dovecot-scheme CRYPT (bcrypt cost 5,
 *     doveadm's default) or ARGON2ID for Dovecot's passwd-file; ours is scrypt N=2^15.
 * npm run bench:imap -- --mix --host 127.0.0.1 --port 143 --user-pattern 'bench{n}@example.test' --password secret [--server-pid P]
 *     The same workload against any IMAP server whose users bench1..bench<clients> exist.
 *
 * The workload (issue 15): `--clients` sessions at once, client n logged in as user n, each over
 * `--folders` folders of its own (mix01.., created and filled with `--folder-messages` messages by
 * APPEND first, untimed), for `--seconds` running one command at a time, as a client does:
 * SELECT 8, FETCH of the last 20 (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE) 20, UID FETCH of
 * one whole message 10, UID STORE +/-FLAGS (\Seen) 20, APPEND 8, UID STORE +FLAGS.SILENT
 * (\Deleted) + EXPUNGE of the oldest message 8 (APPEND and EXPUNGE keep folders at their size),
 * LIST "" "*" 8, STATUS of another folder (MESSAGES UNSEEN UIDNEXT) 18 (weights out of 100). No
 * logouts. Then, on the idle server: LOGIN of one client 20 times in a row (the first after a
 * restart of nothing: the credentials were used by the mix already), and the server's memory
 * with `--sessions` sessions logged in with a folder selected.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { hashPassword } from '@mailroom/crypto';
import { freePort, npmScriptEnv, spawnBuilt, TEST_REDIS_URL } from '@mailroom/testing';
import { createBenchDatabase } from '../lib/installation';
import { bounceMessage } from '../lib/mail-seed';
import { cpuSeconds, fmt, option, percentile } from '../lib/measure';
import { DovecotImap } from './dovecot';
import { MixClient } from './mix-client';

const SECONDS = option('seconds', 'BENCH_SECONDS', 30);
const CLIENTS = option('clients', 'BENCH_CLIENTS', 10);
const FOLDERS = option('folders', 'BENCH_FOLDERS', 20);
const FOLDER_MESSAGES = option('folder-messages', 'BENCH_FOLDER_MESSAGES', 30);
const SESSIONS = option('sessions', 'BENCH_SESSIONS', 100);
const LOGINS = 20;

function stringOption(name: string, fallback: string | null): string | null {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}` && argv[i + 1] !== undefined) return argv[i + 1]!;
    if (argv[i]!.startsWith(`--${name}=`)) return argv[i]!.slice(name.length + 3);
  }
  return fallback;
}

interface Target {
  name: string;
  host: string;
  port: number;
  user: (n: number) => string;
  password: string;
  /** Server CPU seconds so far, by part (e.g. imap + postgres), or null when unknown. */
  cpu: () => Promise<number[] | null>;
  cpuParts: string[];
  /** PostgreSQL transactions committed so far in the server's database (ours), or null. */
  transactions?: () => Promise<number>;
  /** Server memory now, in MiB: label -> value. */
  memory: () => Record<string, number>;
}

interface Result {
  commands: number;
  seconds: number;
  perCommand: Map<string, number[]>;
  cpu: number[] | null;
  transactions: number | null;
  loginFirst: number;
  loginRest: number[];
  memoryBefore: Record<string, number>;
  memoryAfter: Record<string, number>;
  sessionsOpenSeconds: number;
}

const folderName = (i: number) => `mix${String(i + 1).padStart(2, '0')}`;

/** A message for the mix: the bench's bounce reports, numbered per client. */
const message = (client: number, k: number) => bounceMessage(client * 100_000 + k, `bench${client}@example.test`);

async function login(target: Target, n: number): Promise<MixClient> {
  const client = await MixClient.open(target.host, target.port, n);
  await client.command(`LOGIN "${target.user(n)}" "${target.password}"`);
  return client;
}

/** Creates the client's folders and fills each up to FOLDER_MESSAGES (a rerun against the same server adds nothing). */
async function prepare(target: Target, n: number): Promise<void> {
  const client = await login(target, n);
  let k = 0;
  for (let f = 0; f < FOLDERS; f++) {
    await client.command(`CREATE ${folderName(f)}`, ['NO']);
    const status = await client.command(`STATUS ${folderName(f)} (MESSAGES)`);
    const have = Number(/MESSAGES (\d+)/.exec(status)?.[1] ?? 0);
    for (let i = have; i < FOLDER_MESSAGES; i++) await client.append(folderName(f), i % 2 ? '\\Seen' : '', message(n, k++));
  }
  await client.command('LOGOUT');
  client.close();
}

type Op = { name: string; weight: number; run: (s: MixState) => Promise<unknown> };

/** One client's view: the folder it has selected and how many messages that has. */
interface MixState {
  client: MixClient;
  n: number;
  rand: () => number;
  folder: number;
  exists: number;
  appended: number;
  record: (name: string, ms: number) => void;
}

async function timed(s: MixState, name: string, run: () => Promise<string>): Promise<string> {
  const t0 = process.hrtime.bigint();
  const answer = await run();
  s.record(name, Number(process.hrtime.bigint() - t0) / 1e6);
  // Other sessions' appends and expunges are not ours to see (each user is one client), ours are.
  const exists = /^\* (\d+) EXISTS/gm;
  for (let m; (m = exists.exec(answer)); ) s.exists = Number(m[1]);
  s.exists -= (answer.match(/^\* \d+ EXPUNGE/gm) ?? []).length;
  return answer;
}

const OPS: Op[] = [
  {
    name: 'SELECT',
    weight: 8,
    run: (s) => {
      s.folder = Math.floor(s.rand() * FOLDERS);
      return timed(s, 'SELECT', () => s.client.command(`SELECT ${folderName(s.folder)}`));
    },
  },
  {
    name: 'FETCH',
    weight: 20,
    run: (s) => timed(s, 'FETCH', () => s.client.command(`FETCH ${Math.max(1, s.exists - 19)}:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)`)),
  },
  {
    name: 'FETCH BODY',
    weight: 10,
    run: (s) => timed(s, 'FETCH BODY', () => s.client.command(`FETCH ${1 + Math.floor(s.rand() * s.exists)} (UID BODY.PEEK[])`)),
  },
  {
    name: 'STORE',
    weight: 20,
    run: (s) => timed(s, 'STORE', () => s.client.command(`STORE ${1 + Math.floor(s.rand() * s.exists)} ${s.rand() < 0.5 ? '+' : '-'}FLAGS (\\Seen)`)),
  },
  {
    name: 'APPEND',
    weight: 8,
    run: (s) => timed(s, 'APPEND', () => s.client.append(folderName(s.folder), '', message(s.n, 50_000 + s.appended++))),
  },
  {
    name: 'EXPUNGE',
    weight: 8,
    run: async (s) => {
      if (s.exists <= 1) return;
      await timed(s, 'STORE', () => s.client.command('STORE 1 +FLAGS.SILENT (\\Deleted)'));
      await timed(s, 'EXPUNGE', () => s.client.command('EXPUNGE'));
    },
  },
  { name: 'LIST', weight: 8, run: (s) => timed(s, 'LIST', () => s.client.command('LIST "" "*"')) },
  {
    name: 'STATUS',
    weight: 18,
    run: (s) => timed(s, 'STATUS', () => s.client.command(`STATUS ${folderName((s.folder + 1 + Math.floor(s.rand() * (FOLDERS - 1))) % FOLDERS)} (MESSAGES UNSEEN UIDNEXT)`)),
  },
];

/**
 * The mixed workload for `seconds` (logins and the first SELECTs untimed: `started` runs just
 * before the timed part); commands answered, the timed part's length and the latencies.
 */
async function mix(target: Target, seconds: number, perCommand: Map<string, number[]>, started: () => Promise<void> = async () => undefined): Promise<{ count: number; seconds: number }> {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => login(target, i + 1)));
  const states: MixState[] = [];
  for (const [i, client] of clients.entries()) {
    let seed = i + 17;
    const rand = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const state: MixState = { client, n: i + 1, rand, folder: i % FOLDERS, exists: 0, appended: 0, record: () => undefined };
    const answer = await client.command(`SELECT ${folderName(state.folder)}`);
    state.exists = Number(/^\* (\d+) EXISTS/m.exec(answer)?.[1] ?? 0);
    states.push(state);
  }
  let count = 0;
  const record = (name: string, ms: number) => {
    count++;
    let list = perCommand.get(name);
    if (!list) perCommand.set(name, (list = []));
    list.push(ms);
  };
  const totalWeight = OPS.reduce((sum, op) => sum + op.weight, 0);
  await started();
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    states.map(async (s) => {
      s.record = record;
      while (Date.now() < deadline) {
        let pick = s.rand() * totalWeight;
        const op = OPS.find((o) => (pick -= o.weight) < 0) ?? OPS[0]!;
        await op.run(s);
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const c of clients) c.close();
  return { count, seconds: elapsed };
}

async function measure(target: Target): Promise<Result> {
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => prepare(target, i + 1)));
  // Warm-up, untimed: pools fill, JIT compiles, Dovecot builds its indexes.
  await mix(target, Math.min(5, SECONDS), new Map());
  const perCommand = new Map<string, number[]>();
  let cpuBefore: number[] | null = null;
  let transactionsBefore = 0;
  const { count: commands, seconds } = await mix(target, SECONDS, perCommand, async () => {
    cpuBefore = await target.cpu();
    transactionsBefore = (await target.transactions?.()) ?? 0;
  });
  const cpuAfter = await target.cpu();
  // Backends report their counters when idle, within a second.
  const transactions = target.transactions ? (await new Promise((r) => setTimeout(r, 1500)), (await target.transactions()) - transactionsBefore) : null;
  const before = cpuBefore as number[] | null;
  const cpu = before && cpuAfter ? cpuAfter.map((after, i) => after - before[i]!) : null;

  // LOGIN of one client on the idle server (its credentials were verified during the mix).
  const logins: number[] = [];
  for (let i = 0; i < LOGINS; i++) {
    const client = await MixClient.open(target.host, target.port, 900 + i);
    const t0 = process.hrtime.bigint();
    await client.command(`LOGIN "${target.user(1)}" "${target.password}"`);
    logins.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await client.command('LOGOUT');
    client.close();
  }

  // Memory with SESSIONS sessions logged in, each with a folder selected.
  await new Promise((r) => setTimeout(r, 500));
  const memoryBefore = target.memory();
  const openStarted = process.hrtime.bigint();
  const sessions: MixClient[] = [];
  for (let i = 0; i < SESSIONS; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, SESSIONS - i) }, async (_, j) => {
        const n = ((i + j) % CLIENTS) + 1;
        const client = await login(target, n);
        await client.command(`SELECT ${folderName((i + j) % FOLDERS)}`);
        return client;
      }),
    );
    sessions.push(...batch);
  }
  const sessionsOpenSeconds = Number(process.hrtime.bigint() - openStarted) / 1e9;
  await new Promise((r) => setTimeout(r, 1000));
  const memoryAfter = target.memory();
  for (const c of sessions) c.close();
  return { commands, seconds, perCommand, cpu, transactions, loginFirst: logins[0]!, loginRest: logins.slice(1).sort((a, b) => a - b), memoryBefore, memoryAfter, sessionsOpenSeconds };
}

function rssMiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Proportional set size (shared pages divided among the processes sharing them), MiB. */
function pssMiB(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}

const sum = (values: number[]) => values.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);

function report(results: Array<{ target: Target; result: Result }>): void {
  const columns = results.map(({ target }) => target.name);
  const rows: Array<[string, ...string[]]> = [];
  const row = (label: string, f: (r: Result, t: Target) => string) => rows.push([label, ...results.map(({ target, result }) => f(result, target))]);
  row('commands/s', (r) => fmt(r.commands / r.seconds));
  row('commands', (r) => `${fmt(r.commands)} in ${fmt(r.seconds, 1)} s`);
  row('CPU ms per command', (r, t) => (r.cpu ? `${fmt((sum(r.cpu) / r.commands) * 1000, 2)}${r.cpu.length > 1 ? ` (${t.cpuParts.map((p, i) => `${p} ${fmt((r.cpu![i]! / r.commands) * 1000, 2)}`).join(' + ')})` : ''}` : 'n/a'));
  row('PostgreSQL transactions per command', (r) => (r.transactions === null ? 'n/a' : fmt(r.transactions / r.commands, 2)));
  for (const name of ['LIST', 'STATUS', 'SELECT', 'FETCH', 'FETCH BODY', 'STORE', 'APPEND', 'EXPUNGE']) {
    row(`${name} p50 / p95 ms`, (r) => {
      const list = [...(r.perCommand.get(name) ?? [])].sort((a, b) => a - b);
      return `${fmt(percentile(list, 50), 1)} / ${fmt(percentile(list, 95), 1)}  (${fmt(list.length)})`;
    });
  }
  row('LOGIN ms: first / p50 of next', (r) => `${fmt(r.loginFirst, 1)} / ${fmt(percentile(r.loginRest, 50), 1)}`);
  row(`memory MiB idle -> ${SESSIONS} sessions`, (r) =>
    Object.keys(r.memoryAfter)
      .map((k) => `${k} ${fmt(r.memoryBefore[k]!)} -> ${fmt(r.memoryAfter[k]!)}`)
      .join(', '),
  );
  row(`${SESSIONS} sessions logged in + SELECT`, (r) => `${fmt(r.sessionsOpenSeconds, 2)} s`);
  const widths = [Math.max(...rows.map((r) => r[0].length)), ...columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i + 1]!.length)))];
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(['', ...columns]));
  for (const r of rows) console.log(line(r));
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** Mailroom's imap process on a database of its own, with users bench1..benchN@example.test. */
async function startMailroom(password: string): Promise<{ target: Target; stop: () => Promise<void> }> {
  const db = await createBenchDatabase();
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const accountId = randomUUID();
  const domainId = randomUUID();
  await pg.query(`INSERT INTO accounts (id, name) VALUES ($1, 'bench')`, [accountId]);
  await pg.query(`INSERT INTO domains (id, account_id, name, return_path_domain, ownership_token, owned_at) VALUES ($1, $2, 'example.test', 'mr-bounces.example.test', md5(random()::text), now())`, [domainId, accountId]);
  const hash = await hashPassword(password);
  for (let n = 1; n <= CLIENTS; n++) {
    const mailboxId = randomUUID();
    await pg.query(`INSERT INTO mailboxes (id, account_id, domain_id, address, password_hash) VALUES ($1, $2, $3, $4, $5)`, [mailboxId, accountId, domainId, `bench${n}@example.test`, hash]);
    await pg.query(`INSERT INTO folders (id, mailbox_id, name, uid_validity) VALUES ($1, $2, 'INBOX', 1)`, [randomUUID(), mailboxId]);
  }
  const port = await freePort();
  const imap = spawnBuilt('dist/apps/imap/src/main.js', {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: db.prefix,
    IMAP_PORT: String(port),
    IMAPS_PORT: String(await freePort()),
    POP3_PORT: String(await freePort()),
    POP3S_PORT: String(await freePort()),
    MAIL_HOSTNAME: 'mx.mailroom.test',
    LOG_LEVEL: 'warn',
    // As docker-compose.yml and npm run start:imap start it (the script's malloc variables);
    // BENCH_IMAP_NODE_OPTIONS and BENCH_IMAP_MALLOC_MMAP_THRESHOLD replace these.
    ...npmScriptEnv('start:imap'),
    ...(process.env.BENCH_IMAP_MALLOC_MMAP_THRESHOLD ? { MALLOC_MMAP_THRESHOLD_: process.env.BENCH_IMAP_MALLOC_MMAP_THRESHOLD } : {}),
    NODE_OPTIONS: process.env.BENCH_IMAP_NODE_OPTIONS ?? '--max-semi-space-size=2',
  });
  for (let i = 0; ; i++) {
    try {
      (await MixClient.open('127.0.0.1', port, 0)).close();
      break;
    } catch {
      if (i <= 300 && imap.exitCode === null) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      // Leave no database behind when the process never came up (a bad BENCH_IMAP_NODE_OPTIONS).
      imap.kill('SIGTERM');
      await pg.end();
      await db.drop();
      throw new Error(`imap process did not start:\n${imap.output().slice(-2000)}`);
    }
  }
  // PostgreSQL: the backends serving this benchmark's database only (other work shares the server).
  const backends = new Set<number>();
  const target: Target = {
    name: `mailroom (pid ${imap.pid})`,
    host: '127.0.0.1',
    port,
    user: (n) => `bench${n}@example.test`,
    password,
    cpuParts: ['imap', 'postgres'],
    async cpu() {
      const rows = await pg.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      for (const row of rows.rows) backends.add(row.pid);
      return [cpuSeconds(imap.pid!), sum([...backends].map((pid) => cpuSeconds(pid)))];
    },
    async transactions() {
      const rows = await pg.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
      return Number(rows.rows[0]!.n);
    },
    memory: () => ({ 'imap RSS': rssMiB(imap.pid!) }),
  };
  return {
    target,
    async stop() {
      imap.kill('SIGTERM');
      await new Promise((r) => (imap.exitCode !== null ? r(null) : imap.once('exit', r)));
      await pg.end();
      if (process.env.BENCH_KEEP_DB) console.log(`kept database ${db.name}`);
      else await db.drop();
    },
  };
}

async function startDovecot(password: string): Promise<{ target: Target; stop: () => Promise<void> }> {
  const users = Array.from({ length: CLIENTS }, (_, i) => `bench${i + 1}@example.test`);
  const scheme = stringOption('dovecot-scheme', 'CRYPT')!;
  const dovecot = await DovecotImap.start({ port: await freePort(), users, password, scheme });
  const target: Target = {
    name: `dovecot (${scheme})`,
    host: '127.0.0.1',
    port: dovecot.port,
    user: (n) => users[n - 1]!,
    password,
    cpuParts: ['all processes'],
    cpu: async () => [dovecot.cpuSeconds()],
    memory: () => {
      const pids = dovecot.processes();
      return { processes: pids.length, 'RSS sum': sum(pids.map(rssMiB)), 'PSS sum': sum(pids.map(pssMiB)) };
    },
  };
  return { target, stop: () => dovecot.stop() };
}

export async function runMix(): Promise<void> {
  const host = stringOption('host', null);
  const password = stringOption('password', 'bench-password-1')!;
  console.log(`bench:imap --mix  clients=${CLIENTS} folders=${FOLDERS} folder-messages=${FOLDER_MESSAGES} seconds=${SECONDS} sessions=${SESSIONS}  load average ${loadAverage()}`);
  if (host) {
    const pattern = stringOption('user-pattern', 'bench{n}@example.test')!;
    const serverPid = option('server-pid', 'BENCH_SERVER_PID', 0);
    const target: Target = {
      name: `${host}:${option('port', 'BENCH_PORT', 143)}`,
      host,
      port: option('port', 'BENCH_PORT', 143),
      user: (n) => pattern.replace('{n}', String(n)),
      password,
      cpuParts: ['server process'],
      cpu: async () => (serverPid ? [cpuSeconds(serverPid)] : null),
      memory: (): Record<string, number> => (serverPid ? { RSS: rssMiB(serverPid) } : {}),
    };
    report([{ target, result: await measure(target) }]);
    return;
  }
  const only = stringOption('only', null);
  if (!only || only === 'dovecot') {
    if (!DovecotImap.available()) throw new Error('bench:imap --mix needs Dovecot for the comparison: apt-get install -y dovecot-imapd (or --only mailroom)');
  }
  const results: Array<{ target: Target; result: Result }> = [];
  for (const side of ['mailroom', 'dovecot'] as const) {
    if (only && only !== side) continue;
    const server = side === 'mailroom' ? await startMailroom(password) : await startDovecot(password);
    try {
      results.push({ target: server.target, result: await measure(server.target) });
      console.log(`${side} done; load average ${loadAverage()}`);
    } finally {
      await server.stop();
    }
  }
  report(results);
}
