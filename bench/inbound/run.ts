/**
 * npm run bench:inbound [-- --n 5000 --n100k 1000 --clients 50 --mailboxes 100]
 *
 * Many parallel SMTP clients (nodemailer, one connection each, reused for all their messages)
 * send DKIM-signed 1 KB and then 100 KB messages to the inbound MX of a real `smtp` process
 * (dist/apps/smtp/src/main.js). Every message goes through SPF/DKIM/DMARC/ARC (DNS on loopback)
 * and is stored in a mailbox INBOX before the 250; the run then checks PostgreSQL holds every
 * one. Prints messages/s accepted-and-stored per size, per-message latency and peak RSS.
 * `--peers` compares the inbound MX with Postfix under Postfix's smtp-source instead (peers.ts).
 */
import 'reflect-metadata';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import { Client } from 'pg';
import { freePort, spawnBuilt, TEST_REDIS_URL, TestDnsServer } from '@mailroom/testing';
import { createBenchDatabase } from '../lib/installation';
import { fmt, option, peakRssMiB, percentile } from '../lib/measure';
import { peers } from './peers';

const N_SMALL = option('n', 'BENCH_N', 5000);
const N_LARGE = option('n100k', 'BENCH_N100K', 1000);
const CLIENTS = option('clients', 'BENCH_CLIENTS', 50);
const MAILBOXES = option('mailboxes', 'BENCH_MAILBOXES', 100);

async function main(): Promise<void> {
  const db = await createBenchDatabase();
  const { url, prefix } = db;

  // The sending side: a domain with SPF, DKIM and DMARC published on a loopback DNS server.
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dns = await TestDnsServer.start([
    { type: 'TXT', name: 'sender.bench', value: 'v=spf1 ip4:127.0.0.1 -all' },
    { type: 'TXT', name: 'b1._domainkey.sender.bench', value: `v=DKIM1; k=rsa; p=${keys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}` },
    { type: 'TXT', name: '_dmarc.sender.bench', value: 'v=DMARC1; p=reject' },
  ]);

  const pg = new Client({ connectionString: url });
  await pg.connect();
  const accountId = randomUUID();
  const domainId = randomUUID();
  await pg.query(`INSERT INTO accounts (id, name) VALUES ($1, 'bench')`, [accountId]);
  // Owned, as verify() leaves a domain whose ownership record was found: only those receive mail.
  await pg.query(`INSERT INTO domains (id, account_id, name, return_path_domain, ownership_token, owned_at) VALUES ($1, $2, 'inbox.bench', 'mr-bounces.inbox.bench', md5(random()::text), now())`, [domainId, accountId]);
  for (let i = 0; i < MAILBOXES; i++) {
    const mailboxId = randomUUID();
    await pg.query(`INSERT INTO mailboxes (id, account_id, domain_id, address, password_hash) VALUES ($1, $2, $3, $4, 'x')`, [mailboxId, accountId, domainId, `user${i}@inbox.bench`]);
    await pg.query(`INSERT INTO folders (id, mailbox_id, name, uid_validity) VALUES ($1, $2, 'INBOX', 1)`, [randomUUID(), mailboxId]);
  }

  const port = await freePort();
  const smtp = spawnBuilt('dist/apps/smtp/src/main.js', {
    DATABASE_URL: url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    SMTP_INBOUND_PORT: String(port),
    SMTP_SUBMISSION_PORT: String(await freePort()),
    SMTPS_SUBMISSION_PORT: String(await freePort()),
    SMTP_MAX_CONNECTIONS_PER_IP: String(CLIENTS + 10),
    DNS_SERVERS: dns.address,
    MAIL_HOSTNAME: 'mx.mailroom.test',
    LOG_LEVEL: 'warn',
  });
  try {
    await waitForSmtp(port).catch((error: Error) => {
      throw new Error(`${error.message}\n${smtp.output().slice(-2000)}`);
    });
    console.log(`bench:inbound  clients=${CLIENTS} mailboxes=${MAILBOXES}  (smtp process pid ${smtp.pid}; DKIM-signed mail, SPF/DKIM/DMARC/ARC checked, stored in INBOX before 250)`);
    const results: string[] = [];
    for (const [label, size, n] of [
      ['1 KB', 1024, N_SMALL],
      ['100 KB', 100 * 1024, N_LARGE],
    ] as const) {
      const raw = await signedMessage(size, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
      const before = await storedCount(pg);
      const run = await blast(port, raw, n);
      // Accepted means stored: PostgreSQL must hold every message the 250s promised.
      const stored = (await storedCount(pg)) - before;
      if (stored !== run.accepted) throw new Error(`${label}: ${run.accepted} accepted but ${stored} stored`);
      const line =
        `${label.padEnd(7)} ${fmt(run.accepted)} messages (${fmt(raw.length)} bytes each) in ${fmt(run.seconds, 2)} s = ${fmt(run.accepted / run.seconds)} messages/s accepted and stored` +
        `  (${fmt((run.accepted * raw.length) / run.seconds / 1024 / 1024, 1)} MiB/s)  latency p50 ${fmt(percentile(run.latencies, 50))} ms  p99 ${fmt(percentile(run.latencies, 99))} ms` +
        (run.failed ? `  FAILED ${run.failed}: ${run.firstError}` : '');
      console.log(line);
      results.push(line);
    }
    console.log(`peak RSS  smtp ${fmt(peakRssMiB(smtp.pid!))} MiB  bench clients ${fmt(peakRssMiB(process.pid))} MiB`);
  } finally {
    smtp.kill('SIGTERM');
    await new Promise((r) => (smtp.exitCode !== null ? r(null) : smtp.once('exit', r)));
    await pg.end().catch(() => undefined);
    await dns.close();
    await db.drop();
  }
}

/** One DKIM-signed message of about `size` bytes: a text part and, for big ones, a base64 attachment. */
async function signedMessage(size: number, privateKey: string): Promise<Buffer> {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, dkim: { domainName: 'sender.bench', keySelector: 'b1', privateKey } });
  const text = 'Thanks for the quick answer. The order arrived today, all good.\n'.repeat(8);
  const overhead = 1000 + text.length;
  const attachment = size > overhead ? randomBytes(Math.floor(((size - overhead) * 3) / 4 / 1.014)) : undefined;
  const info = await composer.sendMail({
    from: 'Customer <customer@sender.bench>',
    to: 'support@inbox.bench',
    subject: 'Re: Your order',
    text: size > overhead ? text : text.slice(0, Math.max(100, size - 700)),
    attachments: attachment ? [{ filename: 'photo.jpg', content: attachment, contentType: 'image/jpeg' }] : [],
  });
  return info.message as Buffer;
}

async function blast(port: number, raw: Buffer, n: number): Promise<{ accepted: number; failed: number; firstError?: string; seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  let accepted = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity, name: 'mail.sender.bench' });
      try {
        while (next < n) {
          const i = next++;
          const t0 = performance.now();
          try {
            await transport.sendMail({ envelope: { from: 'customer@sender.bench', to: `user${i % MAILBOXES}@inbox.bench` }, raw });
            accepted++;
            latencies.push(performance.now() - t0);
          } catch (error) {
            failed++;
            firstError ??= (error as Error).message;
          }
        }
      } finally {
        transport.close();
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { accepted, failed, firstError, seconds: (performance.now() - started) / 1000, latencies };
}

async function storedCount(pg: Client): Promise<number> {
  const { rows } = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM stored_mail`);
  return rows[0]!.n;
}

async function waitForSmtp(port: number): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const greeting = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.setEncoding('utf8');
      socket.once('data', (data: string) => {
        socket.end('QUIT\r\n');
        resolve(data);
      });
      socket.once('error', () => resolve(''));
    });
    if (greeting.startsWith('220')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the smtp app did not start listening');
}

(process.argv.includes('--peers') ? peers(waitForSmtp) : main()).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
