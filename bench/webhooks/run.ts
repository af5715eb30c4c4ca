/**
 * npm run bench:webhooks [-- --n 10000 --rate 1000 --only backlog|burst|paced|503]
 *
 * Delivery events fanned out to a local receiver that verifies every Standard Webhooks
 * signature with the `standardwebhooks` package. The status changes are made by the worker's own
 * code path (DeliveryRepository.record, 500 outcomes per statement, as its group commit does), so
 * the outbox rows come from the same triggers as in production; a real worker process (pump,
 * BullMQ queue, undici) sends them. Three runs, each on a fresh installation:
 *
 *   backlog N status changes committed before the worker starts: how fast the worker drains
 *           them (events/s from its first request to the last), the pipeline's own rate
 *   burst   N status changes as fast as PostgreSQL takes them with the worker running: events/s
 *           delivered, and the status-change-to-receiver latency of a backlog
 *   paced   N status changes at --rate per second: the latency when the sender keeps up
 *   503     N status changes to a receiver that answers 503 to half the requests: every event
 *           must arrive (retries from WEBHOOK_RETRY_SCHEDULE, 1 s apart here)
 *
 * Prints events/s, latency p50/p99, attempts, and the worker's peak RSS.
 */
import 'reflect-metadata';
import { Client } from 'pg';
import { loadConfig } from '@mailroom/config';
import { DeliveryRepository, Sql, type DeliveryOutcome } from '@mailroom/db';
import { waitForOutput, WebhookReceiver } from '@mailroom/testing';
import { BenchInstallation } from '../lib/installation';
import { cpuSeconds, cpuSecondsOf, cpuSecondsOfDatabase, fmt, option, peakRssMiB, percentile } from '../lib/measure';

const N = option('n', 'BENCH_N', 10_000);
const RATE = option('rate', 'BENCH_RATE', 1_000);
const STATEMENT = 500;

interface Scenario {
  name: string;
  /** Status changes per second; 0: as fast as they go. */
  rate: number;
  /** Share of requests answered 503. */
  fail: number;
  /** Start the worker only once every status change is committed. */
  backlog?: boolean;
}

interface Result {
  name: string;
  seconds: number;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  requests: number;
  connections: number;
  unverified: number;
  received: number;
  workerRssMiB: number;
  workerCpuSeconds: number;
  changeSeconds: number;
  /** From the worker's first request to the last event received. */
  drainSeconds: number;
  /** CPU per event from the first status change to the last event (backlog: from the worker's start), microseconds. */
  cpuUs: { worker: number; postgres: number; redis: number; bench: number };
}

async function run(scenario: Scenario): Promise<Result> {
  const receiver = await WebhookReceiver.start();
  receiver.keep = false;
  const mr = await BenchInstallation.create({
    WEBHOOK_ALLOW_PRIVATE: 'true',
    // Retries a second apart, twenty of them: with half the answers 503, all twenty-one
    // attempts fail for one event in two million.
    WEBHOOK_RETRY_SCHEDULE: Array.from({ length: 20 }, () => '1').join(','),
    LOG_LEVEL: 'info', // 'worker ready' is an info line
  });
  const pg = new Client({ connectionString: mr.databaseUrl });
  const sql = new Sql(loadConfig({ DATABASE_URL: mr.databaseUrl, DATABASE_POOL_SIZE: '4' }));
  sql.prepareRepeated = true; // as the worker's own Sql prepares its record statement
  try {
    mr.start('api', 'api');
    await mr.waitForApi();
    const { accountId, key } = await mr.sendingAccount('bench-hooks.test');
    const hook = await mr.call('POST', '/v1/webhooks', key, { url: receiver.url('/bench'), events: ['message.delivered'] });
    receiver.secrets = [hook.secret];
    await pg.connect();

    // N messages of one recipient each, claimed (sending, attempt 1), as a worker leaves them.
    await pg.query(
      `WITH d AS (SELECT id FROM domains WHERE account_id = $1 LIMIT 1),
       m AS (INSERT INTO messages (id, account_id, domain_id, from_address, subject, message_id_header, raw, size, tags, metadata)
             SELECT gen_random_uuid(), $1, d.id, 'app@bench-hooks.test', 'Order ' || i, i || '@bench-hooks.test', '\\x00'::bytea, 1, '{orders}', jsonb_build_object('order', i)
               FROM d, generate_series(1, $2) i RETURNING id)
       INSERT INTO recipients (id, message_id, account_id, email, domain, status, attempts)
       SELECT gen_random_uuid(), m.id, $1, 'r' || row_number() OVER () || '@inbox.test', 'inbox.test', 'sending', 1 FROM m`,
      [accountId, N],
    );
    const ids = (await pg.query<{ id: string }>(`SELECT id FROM recipients WHERE account_id = $1 ORDER BY id`, [accountId])).rows.map((r) => r.id);

    const changedAt = new Map<string, number>();
    const firstOk = new Map<string, number>();
    let unverified = 0;
    receiver.answer = (request) => {
      if (!request.verified[0]) unverified++;
      if (scenario.fail && Math.random() < scenario.fail) return { status: 503 };
      const recipient = request.payload?.data.recipient_id as string | undefined;
      if (recipient && !firstOk.has(recipient)) firstOk.set(recipient, request.at);
      return { status: 200 };
    };

    const startWorker = async () => {
      const child = mr.start('worker', 'worker');
      await waitForOutput(child, 'worker ready');
      return { child, cpu: cpuSeconds(child.pid!) };
    };
    let worker = scenario.backlog ? undefined : await startWorker();
    let firstRequest = 0;
    const answer = receiver.answer;
    receiver.answer = (request, index) => {
      firstRequest ||= request.at;
      return answer(request, index);
    };
    const deliveries = new DeliveryRepository(sql);
    const cpuNow = () => ({ postgres: cpuSecondsOfDatabase(mr.db.name), redis: cpuSecondsOf('redis-server'), bench: process.cpuUsage() });
    let cpu0 = cpuNow();
    const started = Date.now();
    for (let i = 0; i < ids.length; i += STATEMENT) {
      const batch = ids.slice(i, i + STATEMENT);
      const outcomes: DeliveryOutcome[] = batch.map((id) => ({
        recipientId: id,
        status: 'delivered',
        code: 250,
        enhanced: '2.0.0',
        response: '250 2.0.0 OK queued',
        mxHost: 'mx.inbox.test',
        detail: '250 2.0.0 OK queued',
        suppress: false,
        attempt: 1,
      }));
      await deliveries.record(outcomes);
      const at = Date.now();
      for (const id of batch) changedAt.set(id, at);
      if (scenario.rate) {
        const due = started + ((i + batch.length) / scenario.rate) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
    }
    const changeSeconds = (Date.now() - started) / 1000;
    if (!worker) {
      worker = await startWorker();
      cpu0 = cpuNow();
    }
    await receiver.waitUntil(() => firstOk.size >= ids.length, 600_000, `${scenario.name}: every event answered 200`);
    const last = Math.max(...firstOk.values());
    const cpu1 = cpuNow();
    const workerCpuSeconds = cpuSeconds(worker.child.pid!) - worker.cpu;
    const bench = process.cpuUsage(cpu0.bench);
    const perEvent = (seconds: number) => (seconds * 1e6) / ids.length;
    const latencies = ids.map((id) => firstOk.get(id)! - changedAt.get(id)!).sort((a, b) => a - b);
    const result: Result = {
      name: scenario.name,
      seconds: (last - started) / 1000,
      eventsPerSecond: ids.length / ((last - started) / 1000),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1]!,
      requests: receiver.count,
      connections: receiver.connections,
      unverified,
      received: firstOk.size,
      workerRssMiB: peakRssMiB(worker.child.pid!),
      workerCpuSeconds,
      changeSeconds,
      drainSeconds: (last - firstRequest) / 1000,
      cpuUs: {
        worker: perEvent(workerCpuSeconds),
        postgres: perEvent(cpu1.postgres - cpu0.postgres),
        redis: perEvent(cpu1.redis - cpu0.redis),
        bench: (bench.user + bench.system) / ids.length,
      },
    };
    // The receiver may hear of an event a moment before the worker records the 200.
    for (let i = 0; ; i++) {
      const { rows } = await pg.query(`SELECT status, count(*)::int AS n FROM webhook_deliveries GROUP BY 1`);
      if (rows.length === 1 && rows[0].status === 'succeeded' && rows[0].n === ids.length) break;
      if (i > 300) throw new Error(`deliveries not all succeeded: ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return result;
  } finally {
    await sql.onApplicationShutdown();
    await pg.end().catch(() => undefined);
    await mr.close();
    await receiver.close();
  }
}

async function main(): Promise<void> {
  console.log(`bench:webhooks  N=${fmt(N)} events per run, status changes ${STATEMENT} per statement, paced run at ${fmt(RATE)}/s`);
  const scenarios: Scenario[] = [
    { name: 'backlog', rate: 0, fail: 0, backlog: true },
    { name: 'burst', rate: 0, fail: 0 },
    { name: `paced ${fmt(RATE)}/s`, rate: RATE, fail: 0 },
    { name: '503 half the time', rate: 0, fail: 0.5 },
  ];
  // --only backlog (or burst, paced, 503): one run.
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  for (const scenario of scenarios.filter((s) => !only || s.name.startsWith(only))) {
    const r = await run(scenario);
    console.log(
      [
        `${r.name.padEnd(18)} ${fmt(r.received)}/${fmt(N)} events received (every signature verified: ${r.unverified === 0 ? 'yes' : `NO, ${r.unverified} failed`})`,
        `  status changes written in ${fmt(r.changeSeconds, 2)} s; last event received ${fmt(r.seconds, 2)} s after the first change: ${fmt(r.eventsPerSecond)} events/s`,
        `  worker's first request to the last event: ${fmt(r.drainSeconds, 2)} s: ${fmt(N / r.drainSeconds)} events/s`,
        ...(r.name === 'backlog' ? [] : [`  status change -> receiver: p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, max ${fmt(r.max)} ms`]),
        `  requests ${fmt(r.requests)} (${fmt(r.requests / N, 2)} per event) over ${fmt(r.connections)} connections; worker peak RSS ${fmt(r.workerRssMiB)} MiB, CPU ${fmt(r.workerCpuSeconds, 1)} s (${fmt((r.workerCpuSeconds * 1e6) / r.requests)} us per request)`,
        `  CPU per event: worker ${fmt(r.cpuUs.worker)} us, PostgreSQL ${fmt(r.cpuUs.postgres)} us, Redis ${fmt(r.cpuUs.redis)} us, bench (${r.name === 'backlog' ? 'receiver' : 'status changes and receiver'}) ${fmt(r.cpuUs.bench)} us; ` +
          `${fmt(r.cpuUs.worker + r.cpuUs.postgres + r.cpuUs.redis + r.cpuUs.bench)} us in all`,
      ].join('\n'),
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
