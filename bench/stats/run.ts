/**
 * npm run bench:stats [-- --recipients 10000000 --queries 200]
 *
 * Fills an installation with --recipients recipient rows (ten per message, over the last 30
 * days, two sending domains, both streams, 20 campaigns of a day and a half each, five tags,
 * the usual mix of delivered, bounced, blocked, failed and suppressed) with INSERT ... SELECT generate_series, through the
 * same triggers that keep the rollups in production: the recipients' insert counts them
 * accepted, one timeline event each counts its outcome. Then asks a real API process for
 * /v1/stats (several shapes), /v1/stats/bounces and /v1/stats/health, one request at a time,
 * and prints p50/p99 per shape as the client measured it (HTTP included). For scale, it also
 * times one count over the recipients themselves, which is what the rollups spare.
 * --quiet-below L seeds at once but times the queries only once the load average is under L.
 */
import 'reflect-metadata';
import { Client } from 'pg';
import { loadConfig } from '@mailroom/config';
import { Sql, StatsRepository } from '@mailroom/db';
import { BenchInstallation } from '../lib/installation';
import { fmt, option, percentile, waitForQuiet } from '../lib/measure';

const RECIPIENTS = option('recipients', 'BENCH_RECIPIENTS', 10_000_000);
const QUERIES = option('queries', 'BENCH_QUERIES', 200);
const PER_MESSAGE = 10;
/** --keep: leave the database behind (to EXPLAIN what the API runs); drop it by hand. */
const KEEP = process.argv.includes('--keep');
/** Messages per statement while seeding: one transaction per chunk keeps each trigger's batch bounded. */
const CHUNK = 50_000;

async function main(): Promise<void> {
  const mr = await BenchInstallation.create({ LOG_LEVEL: 'warn' });
  const pg = new Client({ connectionString: mr.databaseUrl });
  try {
    mr.start('api', 'api');
    await mr.waitForApi();
    const { accountId, key } = await mr.sendingAccount('stats-one.test');
    await mr.call('POST', '/v1/domains', key, { name: 'stats-two.test' });
    await pg.connect();
    const domains = (await pg.query<{ id: string }>(`SELECT id FROM domains WHERE account_id = $1 ORDER BY name`, [accountId])).rows.map((r) => r.id);
    const campaigns: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { rows } = await pg.query<{ id: string }>(
        `INSERT INTO campaigns (id, account_id, domain_id, name, from_address, subject, status) VALUES (gen_random_uuid(), $1, $2, $3, 'news@stats-one.test', 'News', 'sent') RETURNING id`,
        [accountId, domains[0], `Campaign ${i}`],
      );
      campaigns.push(rows[0]!.id);
    }

    const messages = Math.ceil(RECIPIENTS / PER_MESSAGE);
    console.log(`bench:stats  seeding ${fmt(messages * PER_MESSAGE)} recipients (${fmt(messages)} messages of ${PER_MESSAGE}) over 30 days, through the rollup triggers`);
    const seedStart = Date.now();
    const raw = Buffer.from('List-Unsubscribe: <https://example.test/u/x>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nSubject: x\r\n\r\nx');
    for (let first = 1; first <= messages; first += CHUNK) {
      const last = Math.min(messages, first + CHUNK - 1);
      await pg.query('BEGIN');
      // Message i: sent 30 days * (messages - i) / messages ago, so in time order; every third is
      // broadcast, in the campaign of its stretch of the month (20 campaigns of 36 hours each);
      // one of five tags.
      await pg.query(
        `INSERT INTO messages (id, account_id, domain_id, campaign_id, stream, source, from_address, subject, message_id_header, tags, raw, size, created_at)
         SELECT md5('m' || i)::uuid, $1, ($2::uuid[])[1 + i % 2],
                CASE WHEN i % 3 = 0 THEN ($3::uuid[])[1 + ((i - 1) * 20) / $6::int] END,
                CASE WHEN i % 3 = 0 THEN 'broadcast' ELSE 'transactional' END::message_stream,
                CASE WHEN i % 3 = 0 THEN 'campaign' ELSE 'api' END::message_source,
                'app@stats-one.test', 'Message ' || i, i || '@stats-one.test', ARRAY['tag' || (i % 5)], $4::bytea, length($4::bytea),
                now() - make_interval(secs => (30 * 86400.0 * ($6::int - i)) / $6::int)
           FROM generate_series($5::int, $7::int) i`,
        [accountId, domains, campaigns, raw, first, messages, last],
      );
      // Ten recipients each, in their final state; the insert counts them accepted.
      await pg.query(
        `INSERT INTO recipients (id, message_id, account_id, email, domain, status, bounce_type, last_code, last_enhanced, last_response, last_mx_host, attempts, updated_at)
         SELECT md5('r' || i || '.' || k)::uuid, md5('m' || i)::uuid, $1, 'u' || i || '.' || k || '@' || d.domain, d.domain,
                (CASE WHEN d.b < 92 THEN 'delivered' WHEN d.b < 96 THEN 'bounced' WHEN d.b < 98 THEN 'blocked' WHEN d.b < 99 THEN 'failed' ELSE 'suppressed' END)::recipient_status,
                (CASE WHEN d.b >= 92 AND d.b < 95 THEN 'hard' WHEN d.b = 95 THEN 'soft' END)::bounce_type,
                CASE WHEN d.b < 92 THEN 250 WHEN d.b < 95 THEN 550 WHEN d.b < 96 THEN 552 WHEN d.b < 98 THEN 554 WHEN d.b < 99 THEN 451 END,
                CASE WHEN d.b < 92 THEN '2.0.0' WHEN d.b < 95 THEN '5.1.1' WHEN d.b < 96 THEN '5.2.2' WHEN d.b < 98 THEN '5.7.1' WHEN d.b < 99 THEN '4.4.1' END,
                CASE WHEN d.b < 92 THEN '250 2.0.0 OK' WHEN d.b < 95 THEN '550 5.1.1 user unknown' WHEN d.b < 96 THEN '552 5.2.2 mailbox full'
                     WHEN d.b < 98 THEN '554 5.7.1 blocked using a block list' WHEN d.b < 99 THEN '451 4.4.1 connection timed out' END,
                CASE d.domain WHEN 'gmail.test' THEN 'gmail-smtp-in.l.google.com' WHEN 'outlook.test' THEN 'x.mail.protection.outlook.com' ELSE 'mx.' || d.domain END,
                1, now()
           FROM generate_series($2::int, $3::int) i, generate_series(1, ${PER_MESSAGE}) k,
                LATERAL (SELECT (ARRAY['gmail.test', 'outlook.test', 'yahoo.test', 'example.test'])[1 + (i + k) % 4] AS domain, (i * 7 + k) % 100 AS b) d`,
        [accountId, first, last],
      );
      // One timeline event each, an hour after its message: the trigger counts the outcome.
      await pg.query(
        `INSERT INTO message_events (message_id, recipient_id, account_id, type, detail, data, created_at)
         SELECT r.message_id, r.id, r.account_id, r.status::text::event_type, r.last_response,
                CASE WHEN r.status = 'bounced' THEN jsonb_build_object('bounce_type', r.bounce_type, 'enhanced', r.last_enhanced) ELSE '{}'::jsonb END,
                m.created_at + interval '1 hour'
           FROM messages m JOIN recipients r ON r.message_id = m.id
          WHERE m.id IN (SELECT md5('m' || i)::uuid FROM generate_series($1::int, $2::int) i)`,
        [first, last],
      );
      await pg.query('COMMIT');
      if ((last - first + 1) === CHUNK && (last / CHUNK) % 10 === 0) console.log(`  ${fmt(last * PER_MESSAGE)} recipients after ${fmt((Date.now() - seedStart) / 1000)} s`);
    }
    await pg.query('ANALYZE');
    const seedSeconds = (Date.now() - seedStart) / 1000;
    const counts = (await pg.query(`SELECT (SELECT count(*) FROM recipients)::int AS recipients, (SELECT count(*) FROM hourly_stats)::int AS hourly, (SELECT count(*) FROM bounce_stats)::int AS bounces`)).rows[0];
    console.log(`seeded in ${fmt(seedSeconds)} s: ${fmt(counts.recipients)} recipients; rollups: ${fmt(counts.hourly)} hourly rows, ${fmt(counts.bounces)} bounce rows`);
    await waitForQuiet();

    const to = new Date();
    const month = new Date(to.getTime() - 30 * 86400_000).toISOString();
    const week = new Date(to.getTime() - 7 * 86400_000).toISOString();
    const shapes: Array<[string, string]> = [
      ['30 days by day', `/v1/stats?granularity=day&from=${month}`],
      ['7 days by hour', `/v1/stats?granularity=hour&from=${week}`],
      ['30 days, one tag', `/v1/stats?granularity=day&from=${month}&tag=tag3`],
      ['30 days, one campaign', `/v1/stats?granularity=day&from=${month}&campaign_id=${campaigns[7]}`],
      ['30 days, broadcast, one domain', `/v1/stats?granularity=day&from=${month}&stream=broadcast&domain=stats-one.test`],
      ['bounces, 30 days', `/v1/stats/bounces?from=${month}`],
      ['health', `/v1/stats/health`],
    ];
    const all: number[] = [];
    console.log(`queries: ${QUERIES} of each shape, one at a time, through the API process (HTTP included)`);
    for (const [name, path] of shapes) {
      const first = await fetch(mr.apiBase + path, { headers: { authorization: `Bearer ${key}` } });
      if (first.status !== 200) throw new Error(`${path}: ${first.status} ${await first.text()}`);
      const sample = (await first.json()) as { totals?: { accepted: number } };
      const times: number[] = [];
      for (let i = 0; i < QUERIES; i++) {
        const t = performance.now();
        const res = await fetch(mr.apiBase + path, { headers: { authorization: `Bearer ${key}` } });
        await res.arrayBuffer();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      all.push(...times);
      const accepted = sample.totals ? `; accepted ${fmt(sample.totals.accepted)}` : '';
      console.log(`  ${name.padEnd(32)} p50 ${fmt(percentile(times, 50), 1)} ms  p99 ${fmt(percentile(times, 99), 1)} ms${accepted}`);
    }
    all.sort((a, b) => a - b);
    console.log(`  ${'all shapes'.padEnd(32)} p50 ${fmt(percentile(all, 50), 1)} ms  p99 ${fmt(percentile(all, 99), 1)} ms  (${fmt(all.length)} requests)`);

    // The same reads without HTTP: StatsRepository over one connection, as the API runs them.
    const sql = new Sql(loadConfig({ DATABASE_URL: mr.databaseUrl, DATABASE_POOL_SIZE: '2' }));
    try {
      const repo = new StatsRepository(sql);
      const from = new Date(month);
      const reads: Array<[string, () => Promise<unknown>]> = [
        ['series, 30 days by day', () => repo.series(accountId, 'day', { from, to })],
        ['series, 7 days by hour', () => repo.series(accountId, 'hour', { from: new Date(week), to })],
        ['series, one tag', () => repo.series(accountId, 'day', { from, to, tag: 'tag3' })],
        ['bounce groups by code', () => repo.bounces(accountId, 'enhanced', { fromDay: month.slice(0, 10), toDay: to.toISOString().slice(0, 10) }, 10)],
        ['domain windows (health)', () => repo.domainWindows(accountId, to)],
      ];
      console.log(`the statements alone (StatsRepository, no HTTP), ${QUERIES} of each:`);
      for (const [name, read] of reads) {
        const times: number[] = [];
        for (let i = 0; i < QUERIES; i++) {
          const t = performance.now();
          await read();
          times.push(performance.now() - t);
        }
        times.sort((a, b) => a - b);
        console.log(`  ${name.padEnd(32)} p50 ${fmt(percentile(times, 50), 1)} ms  p99 ${fmt(percentile(times, 99), 1)} ms`);
      }
    } finally {
      await sql.onApplicationShutdown();
    }
    const t = performance.now();
    const direct = (await pg.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'delivered')::int AS delivered FROM recipients WHERE account_id = $1`, [accountId])).rows[0];
    console.log(`for scale, one count over the recipients themselves: ${fmt(performance.now() - t)} ms (${fmt(direct.n)} recipients, ${fmt(direct.delivered)} delivered)`);
  } finally {
    await pg.end().catch(() => undefined);
    if (KEEP) {
      for (const child of Object.values(mr.processes)) child.kill('SIGTERM');
      await mr.dns.close();
      console.log(`kept the database for a look: ${mr.databaseUrl}`);
    } else {
      await mr.close();
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
