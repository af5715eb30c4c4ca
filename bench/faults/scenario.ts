import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, REPO_ROOT } from '@mailroom/testing';
import { BenchInstallation } from '../lib/installation';
import { LeanSink } from '../lib/lean-sink';
import { fmt } from '../lib/measure';
import { countErrors, ManagedApp } from './managed-app';
import { PrivateRedis } from './private-redis';
import { Receipts } from './receipts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One fault and the moment delivery could go on again after it. */
export interface Disruption {
  label: string;
  /** performance.now() of the fault. */
  at: number;
  /** When the restarted process logged it was serving (or Redis answered again, or = at). */
  upAt: number;
  /** Destination slots held (not lapsed) in Redis when the process was up again. */
  slotsHeld?: number;
  /** How long the process took to exit after the signal. */
  stopMs?: number;
  exit?: string;
}

export interface ScenarioSpec {
  key: string;
  title: string;
  layout: 'all-in-one' | 'split';
  /** The fault comes mid-delivery (after the upload) or during the upload. */
  during: 'delivery' | 'upload';
  fault(run: FaultRun): Promise<void>;
}

export interface ScenarioOptions {
  n: number;
  batch: number;
  clients: number;
  /** The fault comes once the sink has this share of the messages (or of the upload). */
  at: number;
  /** Seconds to wait after the (last) fault before reporting the run stalled. */
  timeoutSeconds: number;
  /** The restart loop's length in seconds at most. */
  loopSeconds: number;
}

export interface ScenarioResult {
  key: string;
  title: string;
  accepted: number;
  failedRequests: number;
  delivered: number;
  lost: number;
  unacknowledgedDelivered: number;
  duplicates: { messages: number; extraCopies: number };
  backlogAtFault: number;
  disruptions: Disruption[];
  /**
   * Time to resume: for each fault, the longest the sink went without a message from the moment
   * the process (or Redis) was up again until the next fault or the end (the last message, or
   * the timeout when stalled). After a restart this is the wait for the first message; after a
   * FLUSHALL, the wait until lost jobs are found again.
   */
  resumeMs: number[];
  /** ms from each process (or Redis) being up again to the sink's next message; undefined = none came. */
  nextAfterUpMs: Array<number | undefined>;
  /** ms from each fault to the first message after the process was up again. */
  fromFaultMs: Array<number | undefined>;
  longestSilenceMs: number;
  /** Messages the sink received after the (last) process or Redis was up again, and over how long. */
  afterUp: { messages: number; seconds: number };
  totalSeconds: number;
  stalled: boolean;
  statuses: Record<string, number>;
  errors: ReturnType<typeof countErrors>;
}

/** What a scenario's fault acts on. */
export class FaultRun {
  readonly disruptions: Disruption[] = [];
  done = false;
  /** Accepted messages the sink has not received yet. */
  remaining: () => number = () => Number.NaN;

  constructor(
    readonly apps: Record<string, ManagedApp>,
    readonly redis: PrivateRedis,
    readonly receipts: Receipts,
    readonly options: ScenarioOptions,
    private readonly slotsKey: string,
    readonly log: (line: string) => void,
  ) {}

  async slotsHeld(): Promise<number | undefined> {
    // Members are scored with their expiry: count those not lapsed yet.
    return this.redis.command((r) => r.zcount(this.slotsKey, Date.now(), '+inf')).catch(() => undefined);
  }

  /** Signals the app, waits for it to exit, pauses, starts it again and waits until it serves. */
  async restart(name: string, signal: NodeJS.Signals, pauseMs: number): Promise<Disruption> {
    const app = this.apps[name]!;
    const at = performance.now();
    this.log(`${signal} ${name} (sink has ${fmt(this.receipts.count)})`);
    const { ms, exit } = await app.stop(signal);
    await sleep(pauseMs);
    const upAt = await app.start();
    const slotsHeld = await this.slotsHeld();
    const d: Disruption = { label: `${signal} ${name}`, at, upAt, stopMs: ms, exit, slotsHeld };
    this.disruptions.push(d);
    this.log(`${name} exited after ${fmt(ms)} ms (${exit}), up again ${fmt((upAt - at) / 1000, 1)} s after the ${signal}; ${slotsHeld ?? '?'} destination slots held`);
    return d;
  }
}

/** A fresh installation, N messages, one fault, and what the sink and the database saw. */
export async function runScenario(spec: ScenarioSpec, options: ScenarioOptions): Promise<ScenarioResult> {
  const log = (line: string) => process.stdout.write(`  [${spec.key}] ${line}\n`);
  const redis = await PrivateRedis.start();
  const sink = await LeanSink.start('127.0.0.1');
  const receipts = new Receipts();
  sink.onMessage = (id) => receipts.add(id);
  const ports: Record<string, string> = {};
  if (spec.layout === 'all-in-one') {
    for (const name of ['SMTP_INBOUND_PORT', 'SMTP_SUBMISSION_PORT', 'SMTPS_SUBMISSION_PORT', 'IMAP_PORT', 'IMAPS_PORT', 'POP3_PORT', 'POP3S_PORT']) ports[name] = String(await freePort());
  }
  // Default delivery settings (DESTINATION_MAX_CONNECTIONS 20, DELIVERY_LEASE_SECONDS 900...): what a newcomer runs.
  const mr = await BenchInstallation.create({ REDIS_URL: redis.url, OUTBOUND_SMTP_PORT: String(sink.port), LOG_LEVEL: 'info', ...ports });
  mr.dns.add({ type: 'MX', name: 'inbox.test', exchange: 'mx.inbox.test', priority: 10 });
  mr.dns.add({ type: 'A', name: 'mx.inbox.test', address: '127.0.0.1' });
  const apps: Record<string, ManagedApp> =
    spec.layout === 'all-in-one' ? { mailroom: new ManagedApp('mailroom', mr.env) } : { api: new ManagedApp('api', mr.env), worker: new ManagedApp('worker', mr.env) };
  const pg = new Client({ connectionString: mr.databaseUrl });
  const run = new FaultRun(apps, redis, receipts, options, `${mr.db.prefix}:dest:inbox.test:slots`, log);
  let progress: NodeJS.Timeout | undefined;
  try {
    await Promise.all(Object.values(apps).map((a) => a.start()));
    await mr.waitForApi();
    const { key } = await mr.sendingAccount('sender.test');
    await pg.connect();

    const started = performance.now();
    const upload = new Upload(mr.apiBase, key, options);
    progress = setInterval(() => log(`accepted ${fmt(upload.accepted.size)}  received ${fmt(receipts.count)}  (${fmt((performance.now() - started) / 1000, 1)} s)`), 2000);
    const uploading = upload.run();
    run.remaining = () => missingOf(upload.accepted, receipts);
    let backlogAtFault = 0;
    const fault = (async () => {
      if (spec.during === 'upload') {
        while (!upload.finished && upload.accepted.size < options.at * options.n) await sleep(20);
      } else {
        await uploading;
        while (receipts.count < options.at * upload.accepted.size) await sleep(20);
      }
      backlogAtFault = upload.accepted.size - receipts.count;
      await spec.fault(run);
    })();
    await Promise.all([uploading, fault.finally(() => (run.done = true))]);

    // Wait for every accepted message at the sink and every recipient settled in PostgreSQL,
    // or until the timeout after the last fault.
    const lastUp = Math.max(...run.disruptions.map((d) => d.upAt), started);
    const deadline = lastUp + options.timeoutSeconds * 1000;
    let statuses: Record<string, number> = {};
    let doneAt = 0;
    for (;;) {
      const missing = missingOf(upload.accepted, receipts);
      if (missing === 0) {
        statuses = await statusCounts(pg);
        if (!statuses.queued && !statuses.sending && !statuses.deferred) {
          doneAt = performance.now();
          break;
        }
      }
      if (performance.now() > deadline) break;
      await sleep(250);
    }
    clearInterval(progress);
    const stalled = doneAt === 0;
    const endAt = stalled ? performance.now() : doneAt;
    // Copies of messages still on their way come within a moment of the last one.
    if (!stalled) await sleep(2000);
    statuses = await statusCounts(pg);
    const firstFault = Math.min(...run.disruptions.map((d) => d.at));
    const lastReceipt = receipts.times.at(-1) ?? endAt;
    const outputs = Object.values(apps).map((a) => a.output).join('\n');
    // The processes' logs, every life of them, for reading after the run.
    const logDir = join(REPO_ROOT, 'bench/results/faults');
    mkdirSync(logDir, { recursive: true });
    for (const [name, app] of Object.entries(apps)) writeFileSync(join(logDir, `${spec.key}-${name}.log`), app.output);
    return {
      key: spec.key,
      title: spec.title,
      accepted: upload.accepted.size,
      failedRequests: upload.failedRequests,
      delivered: upload.accepted.size - missingOf(upload.accepted, receipts),
      lost: missingOf(upload.accepted, receipts),
      unacknowledgedDelivered: [...receipts.copies.keys()].filter((id) => !upload.accepted.has(id)).length,
      duplicates: receipts.duplicates(),
      backlogAtFault,
      disruptions: run.disruptions,
      resumeMs: run.disruptions.map((d, i) => receipts.longestSilence(d.upAt, run.disruptions[i + 1]?.at ?? (stalled ? endAt : lastReceipt))),
      nextAfterUpMs: run.disruptions.map((d) => gap(receipts.firstAfter(d.upAt), d.upAt, endAt)),
      fromFaultMs: run.disruptions.map((d) => gap(receipts.firstAfter(d.upAt), d.at, endAt)),
      longestSilenceMs: receipts.longestSilence(firstFault, stalled ? endAt : Math.min(endAt, lastReceipt)),
      afterUp: afterUp(receipts, lastUp, endAt),
      totalSeconds: (endAt - started) / 1000,
      stalled,
      statuses,
      errors: countErrors(outputs),
    };
  } finally {
    clearInterval(progress);
    await pg.end().catch(() => undefined);
    await Promise.all(Object.values(apps).map((a) => a.stop('SIGKILL')));
    await mr.close();
    await sink.close();
    await redis.stop();
  }
}

/** Messages received from `from` to the end, over the time up to the last of them (or to the end if none came). */
function afterUp(receipts: Receipts, from: number, endAt: number): { messages: number; seconds: number } {
  const messages = receipts.between(from, endAt + 1);
  const last = messages ? Math.min(endAt, receipts.times.at(-1)!) : endAt;
  return { messages, seconds: Math.max(0, last - from) / 1000 };
}

function gap(next: number | undefined, from: number, endAt: number): number | undefined {
  return next === undefined || next > endAt ? undefined : next - from;
}

function missingOf(accepted: Set<string>, receipts: Receipts): number {
  let missing = 0;
  for (const id of accepted) if (!receipts.copies.has(id)) missing++;
  return missing;
}

async function statusCounts(pg: Client): Promise<Record<string, number>> {
  const { rows } = await pg.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM recipients GROUP BY status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/**
 * N messages through POST /v1/messages/batch from a few clients. A request that fails (the API
 * died under it) is not sent again: its messages count as accepted only if a 202 named them,
 * and the client waits for the API to answer /health before its next batch.
 */
class Upload {
  readonly accepted = new Set<string>();
  failedRequests = 0;
  finished = false;
  private next = 0;

  constructor(
    private readonly base: string,
    private readonly key: string,
    private readonly options: ScenarioOptions,
  ) {}

  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.clients }, () => this.client()));
    this.finished = true;
  }

  private async client(): Promise<void> {
    while (this.next < this.options.n) {
      const from = this.next;
      this.next = Math.min(this.options.n, this.next + this.options.batch);
      const body = [];
      for (let i = from; i < this.next; i++) {
        body.push({ from: 'Bench <news@sender.test>', to: `user${i}@inbox.test`, subject: `Order ${i} confirmed`, text: `Hello user ${i},\n\nyour order ${i} is on its way.\n` });
      }
      try {
        const res = await fetch(`${this.base}/v1/messages/batch`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const json = (await res.json()) as Array<{ id?: string; message_id?: string }>;
        if (res.status !== 202) throw new Error(`${res.status}`);
        for (const r of json) if (r.id && r.message_id) this.accepted.add(r.message_id);
      } catch {
        this.failedRequests++;
        await this.healthy();
      }
    }
  }

  private async healthy(): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if (await fetch(`${this.base}/health`).then((r) => r.ok, () => false)) return;
      await sleep(200);
    }
  }
}
