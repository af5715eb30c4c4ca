/**
 * The audience part of `npm run bench:campaign`: a campaign to N contacts of one list.
 *
 * 1. Freeze: POST /v1/campaigns/:id/send against a real api process, which freezes the audience
 *    with one INSERT … SELECT into campaign_recipients, timed against PostgreSQL's own bare
 *    INSERT … SELECT of the same rows (the same join and filters) into a table without keys, in
 *    the same database, just before. Both sides and the ratio are printed.
 * 2. Fan-out: a worker process then materializes the frozen audience into messages (render,
 *    BroadcastDecorator, composeMessage, the batched insert, the delivery planner) and delivers
 *    them to a lean SMTP sink, for `fanoutSeconds`: messages materialized and delivered per second
 *    (CAMPAIGN_WINDOW is raised so that delivery does not hold the materialization back).
 *
 * Peak RSS of the api and worker processes is printed for each N: it must stay flat as N grows.
 */
import { Client } from 'pg';
import { BenchInstallation } from '../lib/installation';
import { LeanSink } from '../lib/lean-sink';
import { fmt, peakRssMiB } from '../lib/measure';

export interface AudienceBenchResult {
  contacts: number;
  bareMs: number;
  freezeMs: number;
  /** bare / freeze: at least 0.5 is the target. */
  ratio: number;
  fanout: { seconds: number; materialized: number; delivered: number };
  peakRssMiB: { api: number; worker: number };
}

const HTML = '<html><body><h1>News for {{contact.attributes.name}}</h1><p>Our <a href="https://shop.example.com/sale">sale</a> starts today.</p><p><a href="{{web_version_url}}">View in a browser</a> · <a href="{{unsubscribe_url}}">Unsubscribe</a></p></body></html>';

/**
 * N active contacts subscribed to a new list, written by PostgreSQL itself (set-up, not measured),
 * with ids made as a CSV import makes them (mailroom_ordered_uuid).
 */
export async function seedAudience(pg: Client, accountId: string, n: number): Promise<string> {
  const listId = (await pg.query<{ id: string }>(`INSERT INTO contact_lists (id, account_id, name, list_id_header) VALUES (gen_random_uuid(), $1, 'Bench', 'bench.news.test') RETURNING id`, [accountId])).rows[0]!.id;
  for (let from = 1; from <= n; from += 250_000) {
    const to = Math.min(n, from + 249_999);
    await pg.query(
      `WITH c AS (INSERT INTO contacts (id, account_id, email, attributes)
                  SELECT mailroom_ordered_uuid(), $1, 'reader' || i || '@inbox.test', jsonb_build_object('name', 'Reader ' || i) FROM generate_series($3::int, $4::int) i
                  RETURNING id)
       INSERT INTO list_memberships (list_id, contact_id, status) SELECT $2, id, 'subscribed' FROM c`,
      [accountId, listId, from, to],
    );
  }
  await pg.query('VACUUM ANALYZE contacts');
  await pg.query('VACUUM ANALYZE list_memberships');
  return listId;
}

export async function benchAudience(n: number, options: { fanoutSeconds: number }): Promise<AudienceBenchResult> {
  const sink = await LeanSink.start('127.0.0.1');
  // A window far beyond what 30 s can deliver: the fan-out's own rate, not the delivery's, is
  // measured (delivery goes on beside it, in the same worker).
  const mr = await BenchInstallation.create({ OUTBOUND_SMTP_PORT: String(sink.port), WORKER_CONCURRENCY: '200', DESTINATION_MAX_CONNECTIONS: '200', CAMPAIGN_WINDOW: '100000' });
  mr.dns.add({ type: 'MX', name: 'inbox.test', exchange: 'mx.inbox.test', priority: 10 });
  mr.dns.add({ type: 'A', name: 'mx.inbox.test', address: '127.0.0.1' });
  const pg = new Client({ connectionString: mr.databaseUrl });
  try {
    const api = mr.start('api', 'api');
    await mr.waitForApi();
    const { accountId, key } = await mr.sendingAccount('news.test');
    await pg.connect();
    const seeded = performance.now();
    const listId = await seedAudience(pg, accountId, n);
    console.log(`  seeded ${fmt(n)} contacts on a list in ${fmt((performance.now() - seeded) / 1000, 1)} s (set-up)`);

    const campaign = await mr.call('POST', '/v1/campaigns', key, { name: 'Bench', from: 'News <news@news.test>', subject: 'News for {{contact.attributes.name}}', html: HTML, list_ids: [listId] });
    // The rows the freeze makes, by the same join and filters, into a table without keys.
    const select = `SELECT $1::uuid, m.contact_id, c.email, m.list_id FROM list_memberships m JOIN contacts c ON c.id = m.contact_id
                     WHERE m.list_id = $2 AND m.status = 'subscribed' AND c.account_id = $3 AND c.status = 'active' AND c.erased_at IS NULL`;
    await pg.query(`SELECT count(*) FROM (${select}) s`, [campaign.id, listId, accountId]); // both sides start from a warm cache
    await pg.query('CREATE TABLE bench_bare (campaign_id uuid, contact_id uuid, email text, list_id uuid)');
    let t0 = performance.now();
    const bare = await pg.query(`INSERT INTO bench_bare (campaign_id, contact_id, email, list_id) ${select}`, [campaign.id, listId, accountId]);
    const bareMs = performance.now() - t0;
    await pg.query('CHECKPOINT'); // the bare side's WAL is not left for the freeze to flush

    t0 = performance.now();
    const sent = await mr.call('POST', `/v1/campaigns/${campaign.id}/send`, key);
    const freezeMs = performance.now() - t0;
    if (sent.progress.total !== n || bare.rowCount !== n) throw new Error(`froze ${sent.progress.total} and copied ${bare.rowCount} of ${n}`);
    const ratio = bareMs / freezeMs;
    console.log(`  freeze ${fmt(n)} recipients: POST /send ${fmt(freezeMs)} ms (${fmt((n / freezeMs) * 1000)} rows/s)  vs bare INSERT … SELECT ${fmt(bareMs)} ms (${fmt((n / bareMs) * 1000)} rows/s): ratio ${fmt(ratio, 2)} (target >= 0.5)`);

    if (process.env.BENCH_WORKER_NODE_OPTIONS) mr.env.NODE_OPTIONS = process.env.BENCH_WORKER_NODE_OPTIONS; // e.g. --cpu-prof, to profile the worker
    const worker = mr.start('worker', 'worker');
    const count = async (sql: string) => (await pg.query<{ n: number }>(sql, [campaign.id])).rows[0]!.n;
    // From the worker's first message, so its start-up is not counted.
    while (sink.count === 0) await new Promise((r) => setTimeout(r, 20));
    const startedMaterialized = await count('SELECT enqueued AS n FROM campaigns WHERE id = $1');
    const startedDelivered = sink.count;
    t0 = performance.now();
    await new Promise((r) => setTimeout(r, options.fanoutSeconds * 1000));
    const seconds = (performance.now() - t0) / 1000;
    const materialized = (await count('SELECT enqueued AS n FROM campaigns WHERE id = $1')) - startedMaterialized;
    const delivered = sink.count - startedDelivered;
    const rss = { api: peakRssMiB(api.pid!), worker: peakRssMiB(worker.pid!) };
    console.log(`  fan-out over ${fmt(seconds, 1)} s: ${fmt(materialized / seconds)} messages/s materialized (rendered, decorated, composed, stored, enqueued), ${fmt(delivered / seconds)} delivered/s to the sink`);
    console.log(`  peak RSS: api ${fmt(rss.api)} MiB  worker ${fmt(rss.worker)} MiB`);
    await mr.call('POST', `/v1/campaigns/${campaign.id}/cancel`, key);
    return { contacts: n, bareMs, freezeMs, ratio, fanout: { seconds, materialized, delivered }, peakRssMiB: rss };
  } finally {
    await pg.end().catch(() => undefined);
    await mr.close();
    await sink.close();
  }
}
