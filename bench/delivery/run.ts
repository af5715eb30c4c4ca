/**
 * npm run bench:delivery [-- --n 20000 --batch 500 --clients 4 --workers 1]
 *
 * N messages through POST /v1/messages/batch into a real API process, delivered by real worker
 * processes (DKIM-signed, VERP, pooled SMTP) to an SMTP sink on loopback, every recipient's
 * status tracked in PostgreSQL. Prints accepted/s, delivered/s, API latency and peak RSS.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { migrate } from '@mailroom/db';
import { databaseUrl, freePort, SmtpSink, spawnBuilt, TEST_PG_URL, TEST_REDIS_URL, TestDnsServer } from '@mailroom/testing';
import { cpuSeconds, fmt, option, peakRssMiB, percentile } from '../lib/measure';

const N = option('n', 'BENCH_N', 20_000);
const BATCH = option('batch', 'BENCH_BATCH', 500);
const CLIENTS = option('clients', 'BENCH_CLIENTS', 4);
const WORKERS = option('workers', 'BENCH_WORKERS', 1);

async function main(): Promise<void> {
  const dbName = `mailroom_bench_${randomBytes(4).toString('hex')}`;
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = databaseUrl(dbName);
  await migrate(url);
  const dns = await TestDnsServer.start();
  const sink = await SmtpSink.start({ host: '127.0.0.1' });
  sink.keepBodies = false;
  dns.add({ type: 'MX', name: 'inbox.test', exchange: 'mx.inbox.test', priority: 10 });
  dns.add({ type: 'A', name: 'mx.inbox.test', address: '127.0.0.1' });

  const httpPort = await freePort();
  const adminKey = `bench-admin-${randomBytes(8).toString('hex')}`;
  const env = {
    DATABASE_URL: url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    HTTP_PORT: String(httpPort),
    ADMIN_API_KEY: adminKey,
    DNS_SERVERS: dns.address,
    OUTBOUND_SMTP_PORT: String(sink.port),
    MAIL_HOSTNAME: 'mx.mailroom.test',
    LOG_LEVEL: 'warn',
  };
  const api = spawnBuilt('dist/apps/api/src/main.js', env);
  const workers = Array.from({ length: WORKERS }, () => spawnBuilt('dist/apps/worker/src/main.js', env));
  const processes = { api, ...Object.fromEntries(workers.map((w, i) => [`worker${WORKERS > 1 ? i + 1 : ''}`, w])) };
  const pg = new Client({ connectionString: url });
  try {
    await waitForHealth(httpPort).catch((error: Error) => {
      throw new Error(`${error.message}\n${api.output().slice(-2000)}`);
    });
    const base = `http://127.0.0.1:${httpPort}`;
    const call = async (method: string, path: string, key: string, body?: unknown) => {
      const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await res.json()) as any;
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const account = await call('POST', '/v1/accounts', adminKey, { name: 'bench' });
    const { key } = await call('POST', `/v1/accounts/${account.id}/api-keys`, adminKey, {});
    const domain = await call('POST', '/v1/domains', key, { name: 'sender.test' });
    for (const r of domain.dns as Array<{ type: string; name: string; value: string }>) {
      if (r.type === 'MX') dns.add({ type: 'MX', name: r.name, exchange: r.value, priority: 10 });
      else dns.add({ type: 'TXT', name: r.name, value: r.value });
    }
    await call('POST', `/v1/domains/${domain.id}/verify`, key);
    await pg.connect();

    console.log(`bench:delivery  N=${fmt(N)} batch=${BATCH} clients=${CLIENTS} workers=${WORKERS} concurrency/worker=default`);
    const cpuAtStart = Object.fromEntries(Object.entries(processes).map(([name, p]) => [name, cpuSeconds(p.pid!)]));
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
          const result = (await call('POST', '/v1/messages/batch', key, body)) as Array<{ id?: string }>;
          latencies.push(performance.now() - t0);
          accepted += result.filter((r) => r.id).length;
        }
      }),
    );
    const acceptedAt = performance.now();
    await sink.waitFor(N, 30 * 60_000);
    // Delivered means recorded: wait until PostgreSQL shows every recipient delivered.
    for (;;) {
      const { rows } = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM recipients WHERE status = 'delivered'`);
      if (rows[0]!.n >= N) break;
      await new Promise((r) => setTimeout(r, 50));
    }
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
    console.log(`sink          ${fmt(sink.count)} messages on ${fmt(sink.connections.size)} SMTP connections, all DKIM-signed: ${sink.unsigned === 0}`);
    const rss = Object.entries({ ...processes, 'bench+sink': { pid: process.pid } }).map(([name, p]) => `${name} ${fmt(peakRssMiB(p.pid!))} MiB`);
    console.log(`peak RSS      ${rss.join('  ')}`);
    const cpu = Object.entries(processes).map(([name, p]) => `${name} ${fmt(((cpuSeconds(p.pid!) - (cpuAtStart[name] ?? 0)) * 1000) / N, 2)} ms`);
    console.log(`CPU/message   ${cpu.join('  ')}  (user+system CPU per message delivered, during the run)`);
  } finally {
    for (const p of [api, ...workers]) p.kill('SIGTERM');
    await Promise.all([api, ...workers].map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
    await pg.end().catch(() => undefined);
    await sink.close();
    await dns.close();
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

async function waitForHealth(port: number): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the API did not become healthy');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
