/**
 * npm run bench:campaign [-- --sizes 100000,1000000 --fanout-seconds 30 --delivery 10000 --no-baseline --only audience,delivery,import,unsubscribe]
 *
 * The newsletter half against PostgreSQL itself, on the same machine in the same run:
 * - import (bench/campaign/import.ts, when present): a CSV into a list vs COPY of the same file;
 * - audience (audience.ts): for each size, the campaign's freeze vs a bare INSERT … SELECT of the
 *   same rows, the fan-out into messages, and the api's and worker's peak RSS (flat as N grows);
 * - delivery (delivery.ts): a campaign delivered to a sink, CPU per message beside bench:delivery;
 * - unsubscribe (unsubscribe.ts, when present): one-click POST /u/TOKEN from 200 clients, p99.
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, option } from '../lib/measure';
import { benchAudience, type AudienceBenchResult } from './audience';
import { benchCampaignDelivery } from './delivery';

function list(name: string, fallback: string): string[] {
  const argv = process.argv.slice(2);
  const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const value = at < 0 ? fallback : argv[at]!.includes('=') ? argv[at]!.split('=')[1]! : (argv[at + 1] ?? fallback);
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/** A part another helper wrote (import.ts, unsubscribe.ts), run through the bench* function it exports. */
async function runPart(file: string, title: string): Promise<void> {
  const path = join(__dirname, `${file}.js`);
  if (!existsSync(path)) {
    console.log(`\n${title}: not present (bench/campaign/${file}.ts)`);
    return;
  }
  const mod = require(path) as Record<string, unknown>;
  const entry = Object.entries(mod).find(([name, value]) => name.startsWith('bench') && typeof value === 'function');
  if (!entry) throw new Error(`bench/campaign/${file}.ts exports no bench* function`);
  console.log(`\n${title}`);
  await (entry[1] as () => Promise<unknown>)();
}

async function main(): Promise<void> {
  const only = new Set(list('only', 'import,audience,delivery,unsubscribe'));
  const sizes = list('sizes', '100000,1000000').map(Number);
  const fanoutSeconds = option('fanout-seconds', 'BENCH_FANOUT_SECONDS', 30);
  const deliveryN = option('delivery', 'BENCH_DELIVERY_N', 10_000);
  console.log(`bench:campaign  parts=${[...only].join(',')} sizes=${sizes.map((s) => fmt(s)).join(',')} fan-out ${fanoutSeconds} s, delivery N=${fmt(deliveryN)}`);

  if (only.has('import')) await runPart('import', 'CSV import vs COPY');

  const audiences: AudienceBenchResult[] = [];
  if (only.has('audience')) {
    for (const n of sizes) {
      console.log(`\nAudience of ${fmt(n)}: freeze vs bare INSERT … SELECT, fan-out, memory`);
      audiences.push(await benchAudience(n, { fanoutSeconds }));
    }
    console.log('\n  size        freeze ms   bare ms   bare/freeze   materialized/s   delivered/s   api RSS   worker RSS');
    for (const a of audiences) {
      console.log(
        `  ${fmt(a.contacts).padStart(9)}   ${fmt(a.freezeMs).padStart(9)}   ${fmt(a.bareMs).padStart(7)}   ${fmt(a.ratio, 2).padStart(11)}   ${fmt(a.fanout.materialized / a.fanout.seconds).padStart(14)}   ${fmt(a.fanout.delivered / a.fanout.seconds).padStart(11)}   ${fmt(a.peakRssMiB.api).padStart(4)} MiB   ${fmt(a.peakRssMiB.worker).padStart(6)} MiB`,
      );
    }
  }

  if (only.has('delivery') && deliveryN > 0) {
    console.log(`\nDelivery of a campaign of ${fmt(deliveryN)} to the sink, CPU per message beside bench:delivery`);
    await benchCampaignDelivery(deliveryN, { baseline: !process.argv.includes('--no-baseline') });
  }

  if (only.has('unsubscribe')) await runPart('unsubscribe', 'One-click unsubscribe under 200 concurrent clients');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
