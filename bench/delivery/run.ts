/**
 * npm run bench:delivery [-- --n 20000 --batch 500 --clients 4 --workers 1 --sink lean|smtp-server]
 *
 * N messages through POST /v1/messages/batch into a real API process, delivered by real worker
 * processes (DKIM-signed, VERP, pooled SMTP) to an SMTP sink on loopback, every recipient's
 * status tracked in PostgreSQL. Prints accepted/s, delivered/s, API latency, peak RSS and CPU
 * per message of each process. The sink is the lean one (bench/lib/lean-sink.ts) unless
 * `--sink smtp-server` asks for the tests' smtp-server sink, which costs the machine more.
 * `--peers` runs the side-by-side comparison with Postfix and Postfix + OpenDKIM instead (peers.ts).
 */
import 'reflect-metadata';
import { Client } from 'pg';
import { SmtpSink } from '@mailroom/testing';
import { LeanSink } from '../lib/lean-sink';
import { BenchInstallation, untilDelivered } from '../lib/installation';
import { cpuSeconds, cpuSecondsOf, fmt, option, peakRssMiB, percentile } from '../lib/measure';
import { peers } from './peers';

const N = option('n', 'BENCH_N', 20_000);
const BATCH = option('batch', 'BENCH_BATCH', 500);
const CLIENTS = option('clients', 'BENCH_CLIENTS', 4);
const WORKERS = option('workers', 'BENCH_WORKERS', 1);
const SINK = process.argv.includes('smtp-server') || process.env.BENCH_SINK === 'smtp-server' ? 'smtp-server' : 'lean';

/** What the benchmark needs of a sink: both kinds count messages and unsigned ones. */
async function startSink(): Promise<{ port: number; count: number; unsigned: number; connections: number; waitFor(n: number, ms: number): Promise<void>; close(): Promise<void> }> {
  if (SINK === 'lean') return LeanSink.start('127.0.0.1');
  const sink = await SmtpSink.start({ host: '127.0.0.1' });
  sink.keepBodies = false;
  return {
    port: sink.port,
    get count() { return sink.count; },
    get unsigned() { return sink.unsigned; },
    get connections() { return sink.connections.size; },
    waitFor: (n, ms) => sink.waitFor(n, ms),
    close: () => sink.close(),
  };
}

async function main(): Promise<void> {
  const sink = await startSink();
  // All N messages go to one domain (the sink), so the per-destination cap is the whole
  // pipeline's concurrency here: raise both (defaults are 20 per domain, 64 per worker).
  const mr = await BenchInstallation.create({
    OUTBOUND_SMTP_PORT: String(sink.port),
    WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY ?? '200',
    DESTINATION_MAX_CONNECTIONS: process.env.DESTINATION_MAX_CONNECTIONS ?? '200',
  });
  mr.dns.add({ type: 'MX', name: 'inbox.test', exchange: 'mx.inbox.test', priority: 10 });
  mr.dns.add({ type: 'A', name: 'mx.inbox.test', address: '127.0.0.1' });
  const pg = new Client({ connectionString: mr.databaseUrl });
  try {
    mr.start('api', 'api');
    for (let i = 1; i <= WORKERS; i++) mr.start(WORKERS > 1 ? `worker${i}` : 'worker', 'worker');
    await mr.waitForApi();
    const { key } = await mr.sendingAccount('sender.test');
    await pg.connect();

    console.log(`bench:delivery  N=${fmt(N)} batch=${BATCH} clients=${CLIENTS} workers=${WORKERS} sink=${SINK} WORKER_CONCURRENCY=${mr.env.WORKER_CONCURRENCY} DESTINATION_MAX_CONNECTIONS=${mr.env.DESTINATION_MAX_CONNECTIONS}`);
    const cpuAtStart = Object.fromEntries(Object.entries(mr.processes).map(([name, p]) => [name, cpuSeconds(p.pid!)]));
    const servicesAtStart = { postgres: cpuSecondsOf('postgres'), redis: cpuSecondsOf('redis-server'), bench: cpuSeconds(process.pid) };
    const latencies: number[] = [];
    const started = performance.now();
    let next = 0;
    let accepted = 0;
    const progress = setInterval(() => {
      process.stdout.write(`  accepted ${fmt(accepted)}  delivered ${fmt(sink.count)}  (${fmt((performance.now() - started) / 1000, 1)} s)\n`);
    }, 2000);
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < N) {
          const from = next;
          next = Math.min(N, next + BATCH);
          const body = [];
          for (let i = from; i < next; i++) {
            body.push({ from: 'Bench <news@sender.test>', to: `user${i}@inbox.test`, subject: `Order ${i} confirmed`, text: `Hello user ${i},\n\nyour order ${i} is on its way.\n`, html: `<p>Hello user ${i},</p><p>your order <b>${i}</b> is on its way.</p>` });
          }
          const t0 = performance.now();
          const result = (await mr.call('POST', '/v1/messages/batch', key, body)) as Array<{ id?: string }>;
          latencies.push(performance.now() - t0);
          accepted += result.filter((r) => r.id).length;
        }
      }),
    );
    const acceptedAt = performance.now();
    await sink.waitFor(N, 30 * 60_000);
    await untilDelivered(pg, N);
    const doneAt = performance.now();
    clearInterval(progress);
    const { rows: statusRows } = await pg.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM recipients GROUP BY status`);
    latencies.sort((a, b) => a - b);
    const acceptSeconds = (acceptedAt - started) / 1000;
    const totalSeconds = (doneAt - started) / 1000;
    console.log('');
    console.log(`accepted      ${fmt(accepted)} messages in ${fmt(acceptSeconds, 2)} s  = ${fmt(accepted / acceptSeconds)} messages/s`);
    console.log(`delivered     ${fmt(N)} messages in ${fmt(totalSeconds, 2)} s  = ${fmt(N / totalSeconds)} messages/s end to end (accept -> DKIM -> SMTP -> recorded)`);
    console.log(`API latency   POST /v1/messages/batch (${BATCH} messages): p50 ${fmt(percentile(latencies, 50))} ms  p99 ${fmt(percentile(latencies, 99))} ms  (${latencies.length} requests)`);
    console.log(`recipients    ${statusRows.map((r) => `${r.status}=${fmt(r.n)}`).join('  ')}`);
    console.log(`sink          ${fmt(sink.count)} messages on ${fmt(sink.connections)} SMTP connections, all DKIM-signed: ${sink.unsigned === 0}`);
    const rss = Object.entries({ ...mr.processes, 'bench+sink': { pid: process.pid } }).map(([name, p]) => `${name} ${fmt(peakRssMiB(p.pid!))} MiB`);
    console.log(`peak RSS      ${rss.join('  ')}`);
    const cpu = Object.entries(mr.processes).map(([name, p]) => `${name} ${fmt(((cpuSeconds(p.pid!) - (cpuAtStart[name] ?? 0)) * 1000) / N, 2)} ms`);
    const services = [
      `postgres ${fmt(((cpuSecondsOf('postgres') - servicesAtStart.postgres) * 1000) / N, 2)} ms`,
      `redis ${fmt(((cpuSecondsOf('redis-server') - servicesAtStart.redis) * 1000) / N, 2)} ms`,
      `bench+sink ${fmt(((cpuSeconds(process.pid) - servicesAtStart.bench) * 1000) / N, 2)} ms`,
    ];
    console.log(`CPU/message   ${[...cpu, ...services].join('  ')}  (user+system CPU per message delivered, during the run; postgres counts every backend on the machine)`);
  } finally {
    await pg.end().catch(() => undefined);
    await mr.close();
    await sink.close();
  }
}

(process.argv.includes('--peers') ? peers() : main()).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
