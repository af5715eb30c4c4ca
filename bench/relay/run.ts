/**
 * npm run bench:relay [-- --n 10000 --clients 32 --size 2048]
 *
 * Many parallel SMTP clients (nodemailer connection pools over STARTTLS, with AUTH) submit N
 * messages to a real smtp process; each counts when its `250 2.0.0 queued as <id>` arrives, which
 * Mailroom says only once the message is stored in PostgreSQL. Prints accepted/s, latency per
 * message and the smtp process's peak RSS and CPU per message.
 */
import 'reflect-metadata';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { Client } from 'pg';
import { freePort } from '@mailroom/testing';
import { BenchInstallation } from '../lib/installation';
import { cpuSeconds, fmt, option, peakRssMiB, percentile } from '../lib/measure';

const N = option('n', 'BENCH_N', 10_000);
const CLIENTS = option('clients', 'BENCH_CLIENTS', 32);
const SIZE = option('size', 'BENCH_SIZE', 2048);

async function main(): Promise<void> {
  const mr = await BenchInstallation.create({
    SMTP_SUBMISSION_PORT: String(await freePort()),
    SMTPS_SUBMISSION_PORT: String(await freePort()),
    SMTP_INBOUND_PORT: String(await freePort()),
    SMTP_MAX_CONNECTIONS_PER_IP: String(CLIENTS * 2),
  });
  const pg = new Client({ connectionString: mr.databaseUrl });
  try {
    mr.start('api', 'api');
    const smtp = mr.start('smtp', 'smtp');
    await mr.waitForApi();
    const { key } = await mr.sendingAccount('legacy.test');
    const credential = await mr.call('POST', '/v1/smtp-credentials', key, { username: 'bench-app', password: 'bench password 123' });
    await waitForPort(Number(mr.env.SMTP_SUBMISSION_PORT), smtp);
    await pg.connect();

    const body = 'x'.repeat(76) + '\r\n';
    const text = body.repeat(Math.max(1, Math.floor(SIZE / body.length)));
    console.log(`bench:relay  N=${fmt(N)} clients=${CLIENTS} (STARTTLS + AUTH PLAIN, connection reuse) body=${fmt(text.length)} bytes`);
    const transports = Array.from({ length: CLIENTS }, () =>
      nodemailer.createTransport({
        host: '127.0.0.1',
        port: Number(mr.env.SMTP_SUBMISSION_PORT),
        requireTLS: true,
        tls: { rejectUnauthorized: false },
        auth: { user: credential.username, pass: 'bench password 123' },
        pool: true,
        maxConnections: 1,
        maxMessages: Infinity,
      } as SMTPTransport.Options),
    );
    const cpuAtStart = cpuSeconds(smtp.pid!);
    const latencies: number[] = [];
    let next = 0;
    let failed = 0;
    const started = performance.now();
    const progress = setInterval(() => process.stdout.write(`  accepted ${fmt(latencies.length)} (${fmt((performance.now() - started) / 1000, 1)} s)\n`), 2000);
    await Promise.all(
      transports.map(async (transport) => {
        while (next < N) {
          const i = next++;
          const t0 = performance.now();
          try {
            const info = await transport.sendMail({ from: 'app@legacy.test', to: `user${i}@customers.test`, bcc: `audit${i % 10}@customers.test`, subject: `Notification ${i}`, text });
            if (!/^250 2\.0\.0 queued as /.test(info.response)) throw new Error(info.response);
            latencies.push(performance.now() - t0);
          } catch (error) {
            if (failed++ < 3) console.error(error);
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    clearInterval(progress);
    for (const t of transports) t.close();
    const { rows } = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE source = 'smtp'`);
    latencies.sort((a, b) => a - b);
    console.log('');
    console.log(`accepted      ${fmt(latencies.length)} messages in ${fmt(seconds, 2)} s  = ${fmt(latencies.length / seconds)} messages/s  (${failed} failed)`);
    console.log(`stored        ${fmt(rows[0]!.n)} messages in PostgreSQL`);
    console.log(`latency       per message, MAIL FROM to 250: p50 ${fmt(percentile(latencies, 50), 1)} ms  p99 ${fmt(percentile(latencies, 99), 1)} ms`);
    console.log(`smtp process  peak RSS ${fmt(peakRssMiB(smtp.pid!))} MiB, CPU ${fmt(((cpuSeconds(smtp.pid!) - cpuAtStart) * 1000) / Math.max(1, latencies.length), 2)} ms per message`);
  } finally {
    await pg.end().catch(() => undefined);
    await mr.close();
  }
}

async function waitForPort(port: number, process: { output: () => string }): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the smtp app did not listen on ${port}\n${process.output().slice(-2000)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
