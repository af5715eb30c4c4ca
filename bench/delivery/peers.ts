/**
 * npm run bench:delivery -- --peers [--n 20000]   (issue 16; root, Debian postfix + opendkim)
 *
 * One run, side by side on this machine, 20,000 messages of 1 KB to one domain, relayed to
 * Postfix's smtp-sink:
 *   1. Postfix + OpenDKIM, RSA-2048 + Ed25519 (postfix-opendkim.sh, DUAL=1), 20 client sessions
 *   2. Postfix without signing (postfix-baseline.sh), 20 client sessions
 *   3. Mailroom as `npm start` runs it (all in one process, every setting at its default), fed
 *      through POST /v1/messages/batch by 4 clients of 500
 *   4. the same with separate `api` and `worker` processes, for the CPU per delivered message of
 *      every process (PostgreSQL and Redis included) against the cost of the two signatures
 * Prints msg/s end to end of each, the ratios against the targets, and peak RSS per process.
 * `--ours-only` skips the Postfix runs (to iterate on Mailroom; no ratios then).
 */
import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import { freePort } from '@mailroom/testing';
import { BenchInstallation, untilDelivered } from '../lib/installation';
import { cpuSeconds, cpuSecondsOf, cpuSecondsOfDatabase, fmt, option, peakRssMiB } from '../lib/measure';
import { PostfixSink, runPostfixScript, twoSignaturesMs, type PostfixResult } from '../lib/postfix';

const N = option('n', 'BENCH_N', 20_000);
const BATCH = option('batch', 'BENCH_BATCH', 500);
const CLIENTS = option('clients', 'BENCH_CLIENTS', 4);

interface MailroomResult {
  accepted: number;
  delivered: number;
  cpuMs: Record<string, number>;
  rssMiB: Record<string, number>;
}

const uptime = () => execFileSync('uptime').toString().trim();

/** A 1 KB text body, as smtp-source's -l 1024 sends (numbered so no two are alike). */
function body(i: number): string {
  const line = `Hello user ${i}, your order ${i} is on its way. Thank you for shopping with us.\n`;
  return line.repeat(Math.ceil(1024 / line.length)).slice(0, 1024);
}

async function mailroom(mode: 'npm start' | 'api + worker'): Promise<MailroomResult> {
  const sink = await PostfixSink.start();
  // Every delivery setting at its default; only the ports are moved off the ones other work here may hold.
  const ports: Record<string, string> = { OUTBOUND_SMTP_PORT: String(sink.port) };
  if (mode === 'npm start') {
    for (const name of ['SMTP_INBOUND_PORT', 'SMTP_SUBMISSION_PORT', 'SMTPS_SUBMISSION_PORT', 'IMAP_PORT', 'IMAPS_PORT', 'POP3_PORT', 'POP3S_PORT']) ports[name] = String(await freePort());
  }
  const mr = await BenchInstallation.create(ports);
  mr.dns.add({ type: 'MX', name: 'inbox.test', exchange: 'mx.inbox.test', priority: 10 });
  mr.dns.add({ type: 'A', name: 'mx.inbox.test', address: '127.0.0.1' });
  const pg = new Client({ connectionString: mr.databaseUrl });
  try {
    if (mode === 'npm start') mr.start('mailroom', 'mailroom');
    else {
      mr.start('api', 'api');
      mr.start('worker', 'worker');
    }
    await mr.waitForApi();
    const { key } = await mr.sendingAccount('sender.test');
    await pg.connect();
    const cpu0 = Object.fromEntries(Object.entries(mr.processes).map(([name, p]) => [name, cpuSeconds(p.pid!)]));
    const services0 = { postgres: cpuSecondsOfDatabase(mr.db.name), redis: cpuSecondsOf('redis-server') };
    const started = performance.now();
    let next = 0;
    let accepted = 0;
    const progress = setInterval(() => process.stdout.write(`    accepted ${fmt(accepted)}  delivered ${fmt(sink.count)}  (${fmt((performance.now() - started) / 1000, 1)} s)\n`), 5000);
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < N) {
          const from = next;
          next = Math.min(N, next + BATCH);
          const batch = [];
          for (let i = from; i < next; i++) batch.push({ from: 'Bench <news@sender.test>', to: `user${i}@inbox.test`, subject: `Order ${i} confirmed`, text: body(i) });
          const result = (await mr.call('POST', '/v1/messages/batch', key, batch)) as Array<{ id?: string }>;
          accepted += result.filter((r) => r.id).length;
        }
      }),
    );
    const acceptedAt = performance.now();
    await sink.waitFor(N, 30 * 60_000);
    await untilDelivered(pg, N);
    const doneAt = performance.now();
    clearInterval(progress);
    const cpuMs: Record<string, number> = {};
    for (const [name, p] of Object.entries(mr.processes)) cpuMs[name] = ((cpuSeconds(p.pid!) - cpu0[name]!) * 1000) / N;
    cpuMs.postgres = ((cpuSecondsOfDatabase(mr.db.name) - services0.postgres) * 1000) / N;
    cpuMs.redis = ((cpuSecondsOf('redis-server') - services0.redis) * 1000) / N;
    const rssMiB = Object.fromEntries(Object.entries(mr.processes).map(([name, p]) => [name, peakRssMiB(p.pid!)]));
    const result = { accepted: accepted / ((acceptedAt - started) / 1000), delivered: N / ((doneAt - started) / 1000), cpuMs, rssMiB };
    console.log(
      `  Mailroom ${mode}: accepted ${fmt(result.accepted)} msg/s, delivered ${fmt(result.delivered)} msg/s end to end; ` +
        `CPU/message ${Object.entries(cpuMs).map(([k, v]) => `${k} ${fmt(v, 2)} ms`).join(', ')}; peak RSS ${Object.entries(rssMiB).map(([k, v]) => `${k} ${fmt(v)} MiB`).join(', ')}  [${uptime()}]`,
    );
    return result;
  } finally {
    await pg.end().catch(() => undefined);
    await mr.close();
    await sink.close();
  }
}

export async function peers(): Promise<void> {
  console.log(`bench:delivery --peers  N=${fmt(N)} messages of 1 KB to one domain, relayed to Postfix's smtp-sink; Mailroom fed by ${CLIENTS} clients of ${BATCH}`);
  console.log(`  machine: ${uptime()}`);
  const signatures = twoSignaturesMs();
  console.log(`  two signatures (RSA-2048 + Ed25519, crypto.sign, CPU time of one thread): ${fmt(signatures, 3)} ms`);
  const env = { N: String(N) };
  const oursOnly = process.argv.includes('--ours-only');
  const none: PostfixResult = { accepted: Number.NaN, relayed: Number.NaN, line: '' };
  if (!oursOnly) console.log('  Postfix + OpenDKIM (RSA-2048 + Ed25519, DUAL=1):');
  const dual = oursOnly ? none : await runPostfixScript('postfix-opendkim.sh', { ...env, DUAL: '1' });
  if (!oursOnly) console.log(`  [${uptime()}]\n  Postfix, no signing:`);
  const plain = oursOnly ? none : await runPostfixScript('postfix-baseline.sh', env);
  if (!oursOnly) console.log(`  [${uptime()}]`);
  const all = await mailroom('npm start');
  const split = await mailroom('api + worker');
  const total = Object.values(split.cpuMs).reduce((a, b) => a + b, 0);
  const ok = (b: boolean) => (b ? 'met' : 'NOT met');
  console.log('');
  console.log(`| ${fmt(N)} × 1 KB, one domain, to smtp-sink | delivered end to end |`);
  console.log('| --- | --- |');
  console.log(`| Postfix + OpenDKIM, RSA-2048 + Ed25519 | ${fmt(dual.relayed)} msg/s (accepted ${fmt(dual.accepted)}) |`);
  console.log(`| Postfix, no signing | ${fmt(plain.relayed)} msg/s (accepted ${fmt(plain.accepted)}) |`);
  console.log(`| Mailroom \`npm start\`, defaults | ${fmt(all.delivered)} msg/s (accepted ${fmt(all.accepted)}) |`);
  console.log(`| Mailroom api + worker, defaults | ${fmt(split.delivered)} msg/s (accepted ${fmt(split.accepted)}) |`);
  console.log('');
  console.log(`ratio vs Postfix + OpenDKIM dual  ${fmt(all.delivered / dual.relayed, 2)}×  (target ≥ 5×: ${ok(all.delivered >= 5 * dual.relayed)})`);
  console.log(`ratio vs Postfix, no signing      ${fmt(all.delivered / plain.relayed, 2)}×  (target ≥ 1.5×: ${ok(all.delivered >= 1.5 * plain.relayed)})`);
  console.log(`CPU per delivered message, api + worker, all processes: ${fmt(total, 2)} ms (${Object.entries(split.cpuMs).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(' + ')}) (postgres: the backends of the run's database; redis: the whole server) against two signatures ${fmt(signatures, 3)} ms = ${fmt(total / signatures, 2)}×  (target ≤ 2×: ${ok(total <= 2 * signatures)})`);
  const rss = { ...Object.fromEntries(Object.entries(all.rssMiB).map(([k, v]) => [`${k} (npm start)`, v])), ...split.rssMiB };
  console.log(`peak RSS: ${Object.entries(rss).map(([k, v]) => `${k} ${fmt(v)} MiB`).join(', ')}  (target < 300 MiB: ${ok(Object.values(rss).every((v) => v < 300))})`);
  console.log(`machine: ${uptime()}`);
}
