/**
 * The delivery part of `npm run bench:campaign`: a campaign of N messages delivered end to end
 * (freeze, materialization, DKIM, SMTP to the lean sink, recorded) by real api and worker
 * processes, and the CPU each spent per message, beside bench:delivery's own figures for N API
 * messages (run as it is, in a child process, right after): the same harness, the same sink.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { REPO_ROOT } from '@mailroom/testing';
import { BenchInstallation } from '../lib/installation';
import { LeanSink } from '../lib/lean-sink';
import { cpuSeconds, cpuSecondsOf, fmt, peakRssMiB } from '../lib/measure';
import { seedAudience } from './audience';

export interface CampaignDeliveryResult {
  messages: number;
  seconds: number;
  cpuMsPerMessage: { api: number; worker: number; postgres: number };
  peakRssMiB: { api: number; worker: number };
  /** bench:delivery's "CPU/message" line for the same N, as it printed it. */
  baseline: string | null;
}

const HTML = '<p>Hello {{contact.attributes.name}},</p><p>your order is on its way.</p><p><a href="https://shop.example.com/orders">Orders</a> · <a href="{{unsubscribe_url}}">Unsubscribe</a></p>';

export async function benchCampaignDelivery(n: number, options: { baseline: boolean }): Promise<CampaignDeliveryResult> {
  const sink = await LeanSink.start('127.0.0.1');
  // As bench:delivery runs: everything goes to one domain, so its caps are the pipeline's.
  const mr = await BenchInstallation.create({ OUTBOUND_SMTP_PORT: String(sink.port), WORKER_CONCURRENCY: '200', DESTINATION_MAX_CONNECTIONS: '200' });
  mr.dns.add({ type: 'MX', name: 'inbox.test', exchange: 'mx.inbox.test', priority: 10 });
  mr.dns.add({ type: 'A', name: 'mx.inbox.test', address: '127.0.0.1' });
  const pg = new Client({ connectionString: mr.databaseUrl });
  let result: CampaignDeliveryResult;
  try {
    const api = mr.start('api', 'api');
    await mr.waitForApi();
    if (process.env.BENCH_WORKER_NODE_OPTIONS) mr.env.NODE_OPTIONS = process.env.BENCH_WORKER_NODE_OPTIONS; // e.g. --cpu-prof, to profile the worker
    const worker = mr.start('worker', 'worker');
    const { accountId, key } = await mr.sendingAccount('news.test');
    await pg.connect();
    // Up once its heartbeat row is there (its logs say nothing at LOG_LEVEL=warn).
    while ((await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM workers')).rows[0]!.n === 0) await new Promise((r) => setTimeout(r, 50));
    const listId = await seedAudience(pg, accountId, n);
    // Tracking on, as campaigns are by default: every copy gets its own links and pixel.
    const campaign = await mr.call('POST', '/v1/campaigns', key, { name: 'Bench', from: 'News <news@news.test>', subject: 'Your order, {{contact.attributes.name}}', html: HTML, list_ids: [listId] });
    const before = { api: cpuSeconds(api.pid!), worker: cpuSeconds(worker.pid!), postgres: cpuSecondsOf('postgres') };
    const started = performance.now();
    await mr.call('POST', `/v1/campaigns/${campaign.id}/send`, key);
    const deadline = Date.now() + Math.max(300_000, n * 100);
    for (;;) {
      const { rows } = await pg.query<{ status: string; enqueued: number }>('SELECT status, enqueued FROM campaigns WHERE id = $1', [campaign.id]);
      if (rows[0]!.status === 'sent') break;
      if (Date.now() > deadline) throw new Error(`campaign still ${rows[0]!.status} (${rows[0]!.enqueued} of ${n} materialized, ${sink.count} at the sink)\n${worker.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    const per = (after: number, at: number) => ((after - at) * 1000) / n;
    result = {
      messages: n,
      seconds,
      cpuMsPerMessage: { api: per(cpuSeconds(api.pid!), before.api), worker: per(cpuSeconds(worker.pid!), before.worker), postgres: per(cpuSecondsOf('postgres'), before.postgres) },
      peakRssMiB: { api: peakRssMiB(api.pid!), worker: peakRssMiB(worker.pid!) },
      baseline: null,
    };
    if (sink.count < n || sink.unsigned) throw new Error(`the sink got ${sink.count} of ${n} messages, ${sink.unsigned} unsigned`);
    const c = result.cpuMsPerMessage;
    console.log(`  campaign of ${fmt(n)}: sent in ${fmt(seconds, 1)} s = ${fmt(n / seconds)} messages/s end to end (freeze, materialize, DKIM, SMTP, recorded)`);
    console.log(`  CPU/message   worker ${fmt(c.worker, 2)} ms  api ${fmt(c.api, 2)} ms  (Mailroom ${fmt(c.worker + c.api, 2)} ms)  postgres ${fmt(c.postgres, 2)} ms; peak RSS api ${fmt(result.peakRssMiB.api)} MiB worker ${fmt(result.peakRssMiB.worker)} MiB`);
  } finally {
    await pg.end().catch(() => undefined);
    await mr.close();
    await sink.close();
  }
  if (options.baseline) {
    // On a busy machine bench:delivery may fail to start its processes in time: say so, keep ours.
    result.baseline = await deliveryBaseline(n).catch((error: unknown) => `failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    console.log(`  bench:delivery, ${fmt(n)} API messages: ${result.baseline ?? 'no CPU/message line (see its output above)'}`);
  }
  return result;
}

/** Runs bench:delivery (the built script, as `npm run bench:delivery` does) and returns its CPU/message line. */
function deliveryBaseline(n: number): Promise<string | null> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--enable-source-maps', resolve(REPO_ROOT, 'dist/bench/delivery/run.js'), '--n', String(n)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`bench:delivery exited with ${code}:\n${output.slice(-2000)}`));
      const line = output.split('\n').find((l) => l.startsWith('CPU/message'));
      done(line ? line.replace(/^CPU\/message\s+/, '').replace(/\s+\(user\+system.*$/, '') : null);
    });
  });
}
