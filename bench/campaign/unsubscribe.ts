/**
 * node dist/bench/campaign/unsubscribe.js [--n 20000 --clients 200]
 * (also run by `npm run bench:campaign`, which calls benchUnsubscribe)
 *
 * RFC 8058 one-click unsubscribes against a real api process: N contacts on a list, each with a
 * broadcast message and recipient as a campaign leaves them, and N `POST /u/TOKEN` with the body
 * `List-Unsubscribe=One-Click` from `clients` concurrent keep-alive HTTP clients, each token once
 * (every request really unsubscribes: memberships, contact status, the event, the counters).
 * Prints requests/s, latency p50/p90/p99/max, and the api process's CPU per request and peak RSS.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Client } from 'pg';
import { Secrets } from '@mailroom/crypto';
import { UnsubscribeTokens } from '@mailroom/newsletter';
import { BenchInstallation } from '../lib/installation';
import { cpuSeconds, fmt, option, peakRssMiB, percentile } from '../lib/measure';

export interface UnsubscribeBenchResult {
  requests: number;
  clients: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  failed: number;
  apiCpuMsPerRequest: number;
  apiPeakRssMiB: number;
}

export async function benchUnsubscribe(options: { n?: number; clients?: number } = {}): Promise<UnsubscribeBenchResult> {
  const n = options.n ?? 20_000;
  const clients = options.clients ?? 200;
  const secret = randomBytes(32).toString('base64url');
  const mr = await BenchInstallation.create({ SECRET_KEY: secret });
  const pg = new Client({ connectionString: mr.databaseUrl });
  try {
    const api = mr.start('api', 'api');
    await mr.waitForApi();
    const { accountId } = await mr.sendingAccount('unsubscribe.test');
    await pg.connect();

    // The state a campaign leaves: contacts on a list, one broadcast message and recipient each.
    const listId = (await pg.query<{ id: string }>(`INSERT INTO contact_lists (id, account_id, name, list_id_header) VALUES (gen_random_uuid(), $1, 'Bench', 'bench.unsubscribe.test') RETURNING id`, [accountId])).rows[0]!.id;
    const { rows } = await pg.query<{ contact_id: string; recipient_id: string }>(
      `WITH c AS (INSERT INTO contacts (id, account_id, email)
                  SELECT gen_random_uuid(), $1, 'reader' || i || '@example.com' FROM generate_series(1, $2::int) i RETURNING id, email),
            m AS (INSERT INTO list_memberships (list_id, contact_id, status) SELECT $3, id, 'subscribed' FROM c RETURNING contact_id),
            d AS (SELECT id FROM domains WHERE account_id = $1 LIMIT 1),
            msg AS (INSERT INTO messages (id, account_id, domain_id, stream, source, from_address, message_id_header, raw, size)
                    SELECT gen_random_uuid(), $1, (SELECT id FROM d), 'broadcast', 'campaign', 'news@unsubscribe.test', gen_random_uuid() || '@bench', '\\x00', 1
                      FROM c RETURNING id),
            pairs AS (SELECT c.id AS contact_id, c.email, msg.id AS message_id
                        FROM (SELECT id, email, row_number() OVER () AS k FROM c) c JOIN (SELECT id, row_number() OVER () AS k FROM msg) msg USING (k))
       INSERT INTO recipients (id, message_id, account_id, email, domain, status, contact_id, delivered_at)
       SELECT gen_random_uuid(), message_id, $1, email, 'example.com', 'delivered', contact_id, now() FROM pairs
       RETURNING contact_id, id AS recipient_id`,
      [accountId, n, listId],
    );
    const tokens = new UnsubscribeTokens(new Secrets(secret));
    const paths = rows.map((r) => `/u/${tokens.encode({ accountId, contactId: r.contact_id, listId, recipientId: r.recipient_id })}`);

    console.log(`bench:campaign unsubscribe  N=${fmt(n)} one-click POSTs (each token once), ${clients} concurrent keep-alive clients`);
    const agent = new Agent({ keepAlive: true, maxSockets: clients });
    const body = 'List-Unsubscribe=One-Click';
    const port = Number(mr.env.HTTP_PORT);
    const post = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });

    // A short warm-up on tokens of their own (the JIT, the pool's connections), not measured.
    const warm = paths.splice(0, Math.min(500, Math.floor(n / 10)));
    await Promise.all(warm.map((p) => post(p)));

    const cpuBefore = cpuSeconds(api.pid!);
    const latencies: number[] = [];
    let failed = 0;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < paths.length) {
          const path = paths[next++]!;
          const t0 = performance.now();
          const status = await post(path).catch(() => 0);
          latencies.push(performance.now() - t0);
          if (status !== 200) failed++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(api.pid!) - cpuBefore;
    agent.destroy();
    latencies.sort((a, b) => a - b);
    const done = (await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM list_memberships WHERE list_id = $1 AND status = 'unsubscribed'`, [listId])).rows[0]!.n;
    const result: UnsubscribeBenchResult = {
      requests: latencies.length,
      clients,
      perSecond: latencies.length / seconds,
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1] ?? 0,
      failed,
      apiCpuMsPerRequest: (cpu * 1000) / latencies.length,
      apiPeakRssMiB: peakRssMiB(api.pid!),
    };
    console.log(`  ${fmt(result.requests)} requests in ${fmt(seconds, 2)} s: ${fmt(result.perSecond)} unsubscribes/s, ${result.failed} not 200`);
    console.log(`  latency ms: p50 ${fmt(result.p50, 1)}  p90 ${fmt(result.p90, 1)}  p99 ${fmt(result.p99, 1)}  max ${fmt(result.max, 1)}`);
    console.log(`  api: ${fmt(result.apiCpuMsPerRequest, 2)} ms CPU per request, peak RSS ${fmt(result.apiPeakRssMiB)} MiB; memberships unsubscribed ${fmt(done)} of ${fmt(n)}`);
    return result;
  } finally {
    await pg.end().catch(() => undefined);
    await mr.close();
  }
}

if (require.main === module) {
  benchUnsubscribe({ n: option('n', 'BENCH_N', 20_000), clients: option('clients', 'BENCH_CLIENTS', 200) }).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
