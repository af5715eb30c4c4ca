/**
 * npm run bench:inbound -- --peers [--n 10000]   (issue 16; root, Debian postfix)
 *
 * The same load into Mailroom's inbound MX and into Postfix, side by side on this machine:
 * Postfix's smtp-source, 20 sessions, one message of 1 KB per connection, N messages to one
 * hosted mailbox. Mailroom stores each message in PostgreSQL before its 250 (the run checks
 * that PostgreSQL holds all N); Postfix queues each on disk with fsync before its 250
 * (postfix-baseline.sh's "accepted" figure). Prints both, the ratio, and the smtp process's CPU
 * per message and peak RSS. `--ours-only` skips the Postfix run.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { freePort, spawnBuilt, TEST_REDIS_URL, TestDnsServer } from '@mailroom/testing';
import { createBenchDatabase } from '../lib/installation';
import { cpuSeconds, cpuSecondsOf, cpuSecondsOfDatabase, fmt, option, peakRssMiB } from '../lib/measure';
import { run, runPostfixScript } from '../lib/postfix';

const N = option('n', 'BENCH_N', 10_000);
const SESSIONS = option('sessions', 'BENCH_SESSIONS', 20);

const uptime = () => execFileSync('uptime').toString().trim();

export async function peers(waitForSmtp: (port: number) => Promise<void>): Promise<void> {
  console.log(`bench:inbound --peers  smtp-source -s ${SESSIONS} -l 1024 -m ${fmt(N)} into Mailroom's inbound MX (one hosted mailbox, stored before 250) and into Postfix (queued with fsync before 250)`);
  console.log(`  machine: ${uptime()}`);
  const ours = await mailroom(waitForSmtp);
  console.log(`  [${uptime()}]`);
  if (process.argv.includes('--ours-only')) return;
  console.log('  Postfix, no signing (accepted):');
  const postfix = await runPostfixScript('postfix-baseline.sh', { N: String(N), SESSIONS: String(SESSIONS) });
  console.log('');
  console.log(`| smtp-source, ${SESSIONS} sessions, ${fmt(N)} × 1 KB | accepted (durable before 250) |`);
  console.log('| --- | --- |');
  console.log(`| Postfix | ${fmt(postfix.accepted)} msg/s |`);
  console.log(`| Mailroom inbound MX | ${fmt(ours.rate)} msg/s |`);
  console.log('');
  console.log(`ratio ${fmt(ours.rate / postfix.accepted, 2)}×  (target ≥ 1.0×: ${ours.rate >= postfix.accepted ? 'met' : 'NOT met'})`);
  console.log(`Mailroom CPU per message: smtp ${fmt(ours.cpuMs.smtp!, 2)} ms, postgres ${fmt(ours.cpuMs.postgres!, 2)} ms (backends of its database), redis ${fmt(ours.cpuMs.redis!, 2)} ms; peak RSS smtp ${fmt(ours.rssMiB)} MiB`);
  console.log(`machine: ${uptime()}`);
}

async function mailroom(waitForSmtp: (port: number) => Promise<void>): Promise<{ rate: number; cpuMs: Record<string, number>; rssMiB: number }> {
  const db = await createBenchDatabase();
  const dns = await TestDnsServer.start();
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const accountId = randomUUID();
  const domainId = randomUUID();
  const mailboxId = randomUUID();
  await pg.query(`INSERT INTO accounts (id, name) VALUES ($1, 'bench')`, [accountId]);
  await pg.query(`INSERT INTO domains (id, account_id, name, return_path_domain, ownership_token, owned_at) VALUES ($1, $2, 'inbox.bench', 'mr-bounces.inbox.bench', md5(random()::text), now())`, [domainId, accountId]);
  await pg.query(`INSERT INTO mailboxes (id, account_id, domain_id, address, password_hash) VALUES ($1, $2, $3, 'user@inbox.bench', 'x')`, [mailboxId, accountId, domainId]);
  await pg.query(`INSERT INTO folders (id, mailbox_id, name, uid_validity) VALUES ($1, $2, 'INBOX', 1)`, [randomUUID(), mailboxId]);
  const port = await freePort();
  // Every setting at its default but the ports.
  const smtp = spawnBuilt('dist/apps/smtp/src/main.js', {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: db.prefix,
    SMTP_INBOUND_PORT: String(port),
    SMTP_SUBMISSION_PORT: String(await freePort()),
    SMTPS_SUBMISSION_PORT: String(await freePort()),
    DNS_SERVERS: dns.address,
    MAIL_HOSTNAME: 'mx.mailroom.test',
    LOG_LEVEL: 'warn',
  });
  try {
    await waitForSmtp(port).catch((error: Error) => {
      throw new Error(`${error.message}\n${smtp.output().slice(-2000)}`);
    });
    // Warm-up, not counted (as the Postfix script does before its run).
    await run('/usr/sbin/smtp-source', ['-s', String(SESSIONS), '-l', '1024', '-m', '500', '-f', 'a@example.com', '-t', 'user@inbox.bench', `127.0.0.1:${port}`], {}, false);
    const before = await stored(pg);
    const cpu0 = { smtp: cpuSeconds(smtp.pid!), postgres: cpuSecondsOfDatabase(db.name), redis: cpuSecondsOf('redis-server') };
    const started = performance.now();
    await run('/usr/sbin/smtp-source', ['-s', String(SESSIONS), '-l', '1024', '-m', String(N), '-f', 'a@example.com', '-t', 'user@inbox.bench', `127.0.0.1:${port}`], {}, true);
    const seconds = (performance.now() - started) / 1000;
    const cpuMs = {
      smtp: ((cpuSeconds(smtp.pid!) - cpu0.smtp) * 1000) / N,
      postgres: ((cpuSecondsOfDatabase(db.name) - cpu0.postgres) * 1000) / N,
      redis: ((cpuSecondsOf('redis-server') - cpu0.redis) * 1000) / N,
    };
    // Accepted means stored: every 250 smtp-source had must be a row in PostgreSQL.
    const got = (await stored(pg)) - before;
    if (got !== N) throw new Error(`smtp-source finished, but PostgreSQL holds ${got} of ${N} messages`);
    const rate = N / seconds;
    console.log(`  Mailroom inbound MX: ${fmt(N)} messages accepted and stored in ${fmt(seconds, 2)} s = ${fmt(rate)} msg/s  [${uptime()}]`);
    return { rate, cpuMs, rssMiB: peakRssMiB(smtp.pid!) };
  } finally {
    smtp.kill('SIGTERM');
    await new Promise((r) => (smtp.exitCode !== null ? r(null) : smtp.once('exit', r)));
    await pg.end().catch(() => undefined);
    await dns.close();
    await db.drop();
  }
}

async function stored(pg: Client): Promise<number> {
  const { rows } = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM stored_mail`);
  return rows[0]!.n;
}
