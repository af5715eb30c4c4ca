import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { chromium, type Page } from 'playwright-core';
import { hashPassword } from '@mailroom/crypto';
import { BenchInstallation } from '../lib/installation';
import { fmt, option, percentile, waitForQuiet } from '../lib/measure';

/**
 * npm run bench:dashboard: the dashboard's pages in headless Chromium against a real API process
 * over a database holding --messages messages (one recipient and one event each) and --contacts
 * contacts (default 1,000,000 each), generated with INSERT … SELECT. Each page is loaded --loads
 * times (default 20) by navigating to it; a load's time runs from the navigation to the moment
 * the page shows its first data (the element named below). Prints p50/p95/max per page, and the
 * API calls behind them timed alone. --quiet-below L seeds at once but measures only once the
 * one-minute load average is under L.
 */

const MESSAGES = option('messages', 'BENCH_MESSAGES', 1_000_000);
const CONTACTS = option('contacts', 'BENCH_CONTACTS', 1_000_000);
const LOADS = option('loads', 'BENCH_LOADS', 20);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const USER = { email: 'bench@bench.test', password: 'bench password 1' };

async function seed(pg: Client, accountId: string, domainId: string): Promise<void> {
  const step = async (what: string, sql: string, values: unknown[] = []) => {
    const started = Date.now();
    await pg.query(sql, values);
    console.log(`  ${what}: ${fmt((Date.now() - started) / 1000, 1)} s`);
  };
  // Ids from md5 of a counter: recipients and events can name their message without a join.
  await step(
    `${fmt(MESSAGES)} messages`,
    `INSERT INTO messages (id, account_id, domain_id, stream, source, from_address, subject, message_id_header, tags, raw, size, created_at)
     SELECT md5('m' || i)::uuid, $1, $2, CASE WHEN i % 5 = 0 THEN 'broadcast' ELSE 'transactional' END::message_stream, 'api',
            'Shop <orders@bench.test>', 'Order ' || i, 'm' || i || '@mx.bench.test', ARRAY['orders'], '\\x00'::bytea, 1200,
            now() - make_interval(secs => i * 2.5)
       FROM generate_series(1, $3::int) i`,
    [accountId, domainId, MESSAGES],
  );
  await step(
    `${fmt(MESSAGES)} recipients`,
    `INSERT INTO recipients (id, message_id, account_id, email, domain, status, attempts, last_code, last_response, last_mx_host, delivered_at, updated_at)
     SELECT md5('r' || i)::uuid, md5('m' || i)::uuid, $1, 'user' || (i % 200000) || '@example' || (i % 100) || '.test', 'example' || (i % 100) || '.test',
            CASE i % 25 WHEN 0 THEN 'bounced' WHEN 1 THEN 'deferred' ELSE 'delivered' END::recipient_status, 1,
            CASE i % 25 WHEN 0 THEN 550 WHEN 1 THEN 451 ELSE 250 END, '250 2.0.0 Ok: queued', 'mx.example.test', now() - make_interval(secs => i * 2.5), now()
       FROM generate_series(1, $2::int) i`,
    [accountId, MESSAGES],
  );
  await step(
    `${fmt(MESSAGES)} events`,
    `INSERT INTO message_events (message_id, recipient_id, account_id, type, detail, created_at)
     SELECT md5('m' || i)::uuid, md5('r' || i)::uuid, $1, 'delivered', '250 2.0.0 Ok: queued', now() - make_interval(secs => i * 2.5)
       FROM generate_series(1, $2::int) i`,
    [accountId, MESSAGES],
  );
  await step(
    `${fmt(CONTACTS)} contacts`,
    `INSERT INTO contacts (id, account_id, email, attributes, status, created_at, updated_at)
     SELECT md5('c' || i)::uuid, $1, 'contact' || i || '@example.test', jsonb_build_object('name', 'Person ' || i), 'active', now() - make_interval(secs => i), now()
       FROM generate_series(1, $2::int) i`,
    [accountId, CONTACTS],
  );
  await step(
    'a list holding every contact',
    `WITH list AS (INSERT INTO contact_lists (id, account_id, name) VALUES (md5('list')::uuid, $1, 'Everyone') RETURNING id)
     INSERT INTO list_memberships (list_id, contact_id, status) SELECT (SELECT id FROM list), md5('c' || i)::uuid, 'subscribed' FROM generate_series(1, $2::int) i`,
    [accountId, CONTACTS],
  );
  await step(
    '100,000 suppressions',
    `INSERT INTO suppressions (account_id, email, reason, created_at)
     SELECT $1, 'gone' || i || '@example.test', 'hard_bounce', now() - make_interval(secs => i) FROM generate_series(1, 100000) i`,
    [accountId],
  );
  await step('VACUUM ANALYZE', 'VACUUM ANALYZE');
}

interface Measured {
  page: string;
  times: number[];
}

async function measurePage(page: Page, name: string, path: string, ready: string): Promise<Measured> {
  const times: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    // Leave the page first so every load is a whole navigation, as when a bookmark is opened.
    await page.goto('about:blank');
    const started = performance.now();
    await page.goto(path);
    await page.locator(ready).first().waitFor({ timeout: 30_000 });
    times.push(performance.now() - started);
  }
  return { page: `${name} (${path.replace(/[0-9a-f-]{36}/, ':id')})`, times };
}

async function measureApi(base: string, cookie: string, accountId: string, name: string, path: string): Promise<Measured> {
  const times: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const started = performance.now();
    const res = await fetch(base + path, { headers: { cookie, 'x-mailroom-account': accountId } });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    times.push(performance.now() - started);
  }
  return { page: name, times };
}

function table(title: string, rows: Measured[]): string {
  const lines = [`| ${title} | p50 ms | p95 ms | max ms |`, '| --- | ---: | ---: | ---: |'];
  for (const row of rows) {
    const sorted = [...row.times].sort((a, b) => a - b);
    lines.push(`| ${row.page} | ${fmt(percentile(sorted, 50))} | ${fmt(percentile(sorted, 95))} | ${fmt(sorted.at(-1)!)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const installation = await BenchInstallation.create();
  try {
    installation.start('api', 'api');
    await installation.waitForApi();
    const { accountId } = await installation.sendingAccount('bench.test');
    const pg = new Client({ connectionString: installation.databaseUrl });
    await pg.connect();
    const domainId = (await pg.query<{ id: string }>('SELECT id FROM domains WHERE account_id = $1', [accountId])).rows[0]!.id;
    const userId = randomUUID();
    await pg.query('INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)', [userId, USER.email, await hashPassword(USER.password)]);
    await pg.query(`INSERT INTO memberships (user_id, account_id, role) VALUES ($1, $2, 'owner')`, [userId, accountId]);
    console.log(`seeding ${fmt(MESSAGES)} messages and ${fmt(CONTACTS)} contacts`);
    await seed(pg, accountId, domainId);
    const middle = (await pg.query<{ id: string }>(`SELECT md5('m' || $1)::uuid AS id`, [Math.floor(MESSAGES / 2)])).rows[0]!.id;
    const contact = (await pg.query<{ id: string }>(`SELECT md5('c' || $1)::uuid AS id`, [Math.floor(CONTACTS / 2)])).rows[0]!.id;
    await pg.end();
    await waitForQuiet();

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const context = await browser.newContext({ baseURL: installation.apiBase });
      const page = await context.newPage();
      await page.goto('/');
      await page.getByLabel('Email').fill(USER.email);
      await page.getByLabel('Password').fill(USER.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Account').waitFor();
      const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');

      const pages: Array<[string, string, string]> = [
        ['Overview', '/', '.figures li'],
        ['Messages', '/messages', 'tbody tr'],
        ['Message', `/messages/${middle}`, '.timeline li'],
        ['Domains', '/domains', 'tbody tr'],
        ['Suppressions', '/suppressions', 'tbody tr'],
        ['API keys', '/api-keys', 'tbody tr'],
        ['Team', '/team', 'tbody tr'],
        ['Campaigns', '/campaigns', '.empty, tbody tr'],
        ['Lists', '/lists', 'tbody tr'],
        ['Contacts', '/contacts', 'tbody tr'],
        ['Contact', `/contacts/${contact}`, '.facts'],
        ['Bounces', '/bounces', '.figures li'],
        ['Webhooks', '/webhooks', '.empty, tbody tr'],
      ];
      const results: Measured[] = [];
      for (const [name, path, ready] of pages) results.push(await measurePage(page, name, path, ready));
      const calls: Array<[string, string]> = [
        ['GET /v1/messages?limit=50', '/v1/messages?limit=50'],
        ['GET /v1/messages (recipient search)', '/v1/messages?limit=50&recipient=user4242@example42.test'],
        ['GET /v1/messages (status=bounced)', '/v1/messages?limit=50&status=bounced'],
        ['GET /v1/messages (stream, one day)', `/v1/messages?limit=50&stream=broadcast&from=${new Date(Date.now() - 10 * 86_400_000).toISOString()}&to=${new Date(Date.now() - 9 * 86_400_000).toISOString()}`],
        ['GET /v1/messages/:id', `/v1/messages/${middle}`],
        ['GET /v1/suppressions', '/v1/suppressions?limit=100'],
        ['GET /v1/contacts?limit=50', '/v1/contacts?limit=50'],
        ['GET /v1/contacts (address search)', '/v1/contacts?limit=50&email=contact424242@example.test'],
        ['GET /v1/lists (with counts)', '/v1/lists'],
        ['GET /v1/stats (30 days by day)', `/v1/stats?granularity=day&from=${new Date(Date.now() - 30 * 86_400_000).toISOString()}`],
        ['GET /v1/stats/bounces', '/v1/stats/bounces'],
        ['GET /v1/stats/health', '/v1/stats/health'],
      ];
      const api: Measured[] = [];
      for (const [name, path] of calls) api.push(await measureApi(installation.apiBase, cookie, accountId, name, path));
      console.log(`\n${fmt(MESSAGES)} messages, ${fmt(CONTACTS)} contacts, ${LOADS} loads each\n`);
      console.log(table('page (navigation to first data, Chromium)', results));
      console.log('');
      console.log(table('API call alone', api));
    } finally {
      await browser.close();
    }
  } finally {
    await installation.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
