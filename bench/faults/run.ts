/**
 * npm run bench:faults [-- --n 5000 --only kill-worker,term-worker --timeout 120 --loop-seconds 90]
 *
 * Mailroom under the faults an attacker or an unlucky operator brings (issue 10): for each
 * scenario a fresh installation (own database, own redis-server, real processes from dist/,
 * default delivery settings) takes N messages to one domain at a lean SMTP sink on loopback,
 * and one fault hits it: kill -9 or SIGTERM of the all-in-one process or of the worker, Redis
 * flushed or down for 25 s, kill -9 of the API during the upload, a worker SIGTERMed every 3-5 s.
 * Prints, per scenario: messages accepted (202s), delivered, lost (accepted, never received
 * within the timeout), duplicates at the sink (by Message-ID), the time from the process (or
 * Redis) being up again to the next message at the sink, total time, and the errors the
 * processes logged. A scenario that does not finish within --timeout seconds after its (last)
 * fault is reported stalled with the figures so far.
 */
import 'reflect-metadata';
import { fmt, option } from '../lib/measure';
import { runScenario, sleep, type Disruption, type ScenarioResult, type ScenarioSpec } from './scenario';

const SCENARIOS: ScenarioSpec[] = [
  {
    key: 'kill-all',
    title: 'kill -9 all-in-one mid-delivery',
    layout: 'all-in-one',
    during: 'delivery',
    fault: async (run) => void (await run.restart('mailroom', 'SIGKILL', 2000)),
  },
  {
    key: 'kill-worker',
    title: 'kill -9 worker mid-delivery',
    layout: 'split',
    during: 'delivery',
    fault: async (run) => void (await run.restart('worker', 'SIGKILL', 2000)),
  },
  {
    key: 'term-worker',
    title: 'SIGTERM worker mid-delivery',
    layout: 'split',
    during: 'delivery',
    fault: async (run) => void (await run.restart('worker', 'SIGTERM', 2000)),
  },
  {
    key: 'term-all',
    title: 'SIGTERM all-in-one mid-delivery',
    layout: 'all-in-one',
    during: 'delivery',
    fault: async (run) => void (await run.restart('mailroom', 'SIGTERM', 2000)),
  },
  {
    key: 'flush-redis',
    title: 'Redis FLUSHALL mid-delivery',
    layout: 'split',
    during: 'delivery',
    fault: async (run) => {
      const at = performance.now();
      run.log(`FLUSHALL (sink has ${fmt(run.receipts.count)})`);
      await run.redis.command((r) => r.flushall());
      run.disruptions.push({ label: 'FLUSHALL', at, upAt: performance.now() });
    },
  },
  {
    key: 'redis-down',
    title: 'Redis down 25 s mid-delivery',
    layout: 'split',
    during: 'delivery',
    fault: async (run) => {
      const at = performance.now();
      run.log(`stopping redis-server (sink has ${fmt(run.receipts.count)})`);
      await run.redis.stop();
      await sleep(25_000);
      await run.redis.start();
      const upAt = performance.now();
      run.log(`redis-server up again (empty) after ${fmt((upAt - at) / 1000, 1)} s; sink has ${fmt(run.receipts.count)}`);
      run.disruptions.push({ label: 'Redis down', at, upAt });
    },
  },
  {
    key: 'kill-api-upload',
    title: 'kill -9 api during the upload',
    layout: 'split',
    during: 'upload',
    fault: async (run) => void (await run.restart('api', 'SIGKILL', 2000)),
  },
  {
    key: 'term-loop',
    title: 'SIGTERM worker every 3-5 s',
    layout: 'split',
    during: 'delivery',
    fault: async (run) => {
      const until = performance.now() + run.options.loopSeconds * 1000;
      while (performance.now() < until) {
        await sleep(3000 + Math.random() * 2000);
        if (run.remaining() === 0) break;
        await run.restart('worker', 'SIGTERM', 500);
      }
    },
  },
];

const argv = process.argv.slice(2);
const onlyAt = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
const ONLY = onlyAt < 0 ? undefined : (argv[onlyAt]!.includes('=') ? argv[onlyAt]!.split('=')[1]! : argv[onlyAt + 1] ?? '').split(',');

const options = {
  n: option('n', 'BENCH_N', 5_000),
  batch: option('batch', 'BENCH_BATCH', 500),
  clients: option('clients', 'BENCH_CLIENTS', 4),
  at: option('at', 'BENCH_FAULT_AT', 0.3),
  timeoutSeconds: option('timeout', 'BENCH_FAULT_TIMEOUT', 120),
  loopSeconds: option('loop-seconds', 'BENCH_LOOP_SECONDS', 90),
};

const seconds = (ms: number | undefined) => (ms === undefined ? 'none' : `${fmt(ms / 1000, 1)} s`);

function resumeText(r: ScenarioResult): string {
  if (r.disruptions.length === 1) {
    if (r.nextAfterUpMs[0] === undefined) return r.stalled ? `none in ${seconds(r.resumeMs[0])} (stalled)` : 'nothing left to send';
    return `${seconds(r.resumeMs[0])}${r.stalled ? `, then ${rate(r)} (unfinished)` : ''}`;
  }
  const sorted = [...r.resumeMs].sort((a, b) => a - b);
  const none = r.nextAfterUpMs.filter((m) => m === undefined).length;
  return `${r.disruptions.length} restarts: median ${seconds(sorted[Math.floor(sorted.length / 2)])}, max ${seconds(sorted.at(-1))}${none ? `, ${none} with no message before the next` : ''}${r.stalled ? ' (stalled)' : ''}`;
}

/** How fast the sink received messages once the (last) process or Redis was up again. */
function rate(r: ScenarioResult): string {
  return `${fmt(r.afterUp.messages)} in ${fmt(r.afterUp.seconds, 1)} s (${fmt(r.afterUp.messages / Math.max(r.afterUp.seconds, 0.001))}/s)`;
}

function errorsText(r: ScenarioResult): string {
  const e = r.errors;
  return `${e.errorLines} error lines (pool ended ${e.poolEnded}, Connection is closed ${e.connectionClosed})${e.otherLines ? `, ${e.otherLines} non-JSON lines` : ''}`;
}

function disruptionText(d: Disruption): string {
  const stop = d.stopMs === undefined ? '' : `, exited in ${fmt(d.stopMs)} ms (${d.exit})`;
  const slots = d.slotsHeld === undefined ? '' : `, ${d.slotsHeld} slots held when up`;
  return `${d.label}: up ${seconds(d.upAt - d.at)} after${stop}${slots}`;
}

function report(r: ScenarioResult): void {
  console.log(`\n${r.title}${r.stalled ? '  ** STALLED **' : ''}`);
  console.log(`  accepted      ${fmt(r.accepted)} (${r.failedRequests} batch requests failed); backlog at the fault ${fmt(r.backlogAtFault)}`);
  console.log(`  delivered     ${fmt(r.delivered)}   lost ${fmt(r.lost)}   delivered though never acknowledged ${fmt(r.unacknowledgedDelivered)}`);
  console.log(`  duplicates    ${fmt(r.duplicates.messages)} messages received more than once (${fmt(r.duplicates.extraCopies)} extra copies)`);
  console.log(`  resume        ${resumeText(r)} (longest the sink waited for a message once the process/Redis was up)`);
  if (r.disruptions.length === 1) console.log(`                first message ${seconds(r.nextAfterUpMs[0])} after up, ${seconds(r.fromFaultMs[0])} after the fault; longest silence from the fault ${seconds(r.longestSilenceMs)}`);
  else console.log(`                longest silence from the first fault ${seconds(r.longestSilenceMs)}`);
  const shown = r.disruptions.length > 6 ? [...r.disruptions.slice(0, 3), ...r.disruptions.slice(-2)] : r.disruptions;
  for (const d of shown) console.log(`                ${disruptionText(d)}`);
  console.log(`  after up      ${rate(r)} received`);
  console.log(`  total         ${fmt(r.totalSeconds, 1)} s${r.stalled ? ` (gave up ${options.timeoutSeconds} s after the fault)` : ''}`);
  console.log(`  recipients    ${Object.entries(r.statuses).map(([s, n]) => `${s}=${fmt(n)}`).join('  ')}`);
  console.log(`  errors logged ${errorsText(r)}`);
}

async function main(): Promise<void> {
  const chosen = SCENARIOS.filter((s) => !ONLY || ONLY.includes(s.key));
  if (!chosen.length) throw new Error(`--only: no scenario among ${SCENARIOS.map((s) => s.key).join(', ')}`);
  console.log(`bench:faults  N=${fmt(options.n)} batch=${options.batch} clients=${options.clients} fault at ${options.at * 100}% timeout=${options.timeoutSeconds} s  scenarios: ${chosen.map((s) => s.key).join(' ')}`);
  console.log('each process\'s log (all its lives): bench/results/faults/<scenario>-<app>.log');
  const results: ScenarioResult[] = [];
  const failed: string[] = [];
  for (const spec of chosen) {
    console.log(`\n${spec.title} (${spec.layout})`);
    try {
      const result = await runScenario(spec, options);
      report(result);
      results.push(result);
    } catch (error) {
      // A process that would not start again is a finding too; the other scenarios still run.
      console.log(`  ** FAILED ** ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      failed.push(spec.title);
    }
  }
  console.log('\n| scenario | accepted | delivered | lost | duplicates | time to resume | total | errors logged |');
  console.log('|---|---:|---:|---:|---:|---|---:|---|');
  for (const r of results) {
    console.log(
      `| ${r.title}${r.stalled ? ' **stalled**' : ''} | ${fmt(r.accepted)} | ${fmt(r.delivered)} | ${fmt(r.lost)} | ${fmt(r.duplicates.messages)} | ${resumeText(r)} | ${fmt(r.totalSeconds, 1)} s | ${errorsText(r)} |`,
    );
  }
  for (const title of failed) console.log(`| ${title} **failed** (see above) | | | | | | | |`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
