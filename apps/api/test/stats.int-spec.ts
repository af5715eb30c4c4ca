import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendingAccount, freePort, publishRecords, SmtpSink, TestDnsServer, until, type SendingAccount } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

/**
 * /v1/stats answers from rollups the database keeps as events happen; here they must equal what
 * a count over the recipients themselves gives, on the same mail: two sending domains, both
 * streams, tags, hard and soft bounces, blocks and suppressions, to MX hosts named like
 * Google's and Microsoft's.
 */
describe('stats', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let pg: Client;
  let a: SendingAccount;
  let b: SendingAccount;

  const outcome = (i: number) => (['ok', 'ok', 'ok', 'hard', 'soft', 'blocked'] as const)[i % 6]!;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    const port = await freePort();
    sink = await SmtpSink.start({
      host: '127.0.0.3',
      port,
      behaviour: {
        rcpt(address) {
          if (address.startsWith('hard')) return { code: 550, message: '5.1.1 The email account that you tried to reach does not exist' };
          if (address.startsWith('soft')) return { code: 552, message: '5.2.2 mailbox full' };
          if (address.startsWith('blocked')) return { code: 550, message: '5.7.1 Message rejected due to low reputation of the sending domain' };
          return undefined;
        },
      },
    });
    dns.add(
      { type: 'MX', name: 'gmail.test', exchange: 'gmail-smtp-in.l.google.com', priority: 5 },
      { type: 'A', name: 'gmail-smtp-in.l.google.com', address: '127.0.0.3' },
      { type: 'MX', name: 'hotmail.test', exchange: 'hotmail-test.mail.protection.outlook.com', priority: 5 },
      { type: 'A', name: 'hotmail-test.mail.protection.outlook.com', address: '127.0.0.3' },
    );
    api = await startTestApi({ DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(port) }, { worker: true });
    a = await createSendingAccount(api, dns, 'stats-a.test');
    const second = await api.request('POST', '/v1/domains', { key: a.key, body: { name: 'stats-a2.test' } });
    publishRecords(dns, second.body.dns);
    expect((await api.request('POST', `/v1/domains/${second.body.id}/verify`, { key: a.key })).body.verified).toBe(true);
    b = await createSendingAccount(api, dns, 'stats-b.test');
    pg = new Client({ connectionString: api.db.url });
    await pg.connect();

    await api.request('POST', '/v1/suppressions', { key: a.key, body: { email: 'ok-suppressed@gmail.test' } });
    const drafts = Array.from({ length: 48 }, (_, i) => ({
      from: i % 4 === 0 ? 'news@stats-a2.test' : 'app@stats-a.test',
      to: [`${outcome(i)}${i}@${i % 2 ? 'gmail.test' : 'hotmail.test'}`, ...(i % 8 === 0 ? ['ok-suppressed@gmail.test'] : [])],
      subject: `m${i}`,
      text: 'x',
      html: i % 3 === 0 ? '<p>x <a href="{{unsubscribe_url}}">unsubscribe</a></p>' : undefined,
      stream: i % 3 === 0 ? 'broadcast' : 'transactional',
      tags: i % 5 === 0 ? ['promo'] : ['receipt'],
    }));
    const sent = await api.request('POST', '/v1/messages/batch', { key: a.key, body: drafts });
    expect(sent.status).toBe(202);
    expect(sent.body.every((r: any) => r.id)).toBe(true);
    await api.request('POST', '/v1/messages', { key: b.key, body: { from: 'app@stats-b.test', to: 'hard-b@gmail.test', subject: 'b', text: 'x' } });
    const settled = await until(
      async () => (await pg.query(`SELECT count(*)::int AS n FROM recipients WHERE status IN ('queued', 'sending', 'deferred')`)).rows[0].n === 0,
      { timeoutMs: 90_000 },
    );
    expect(settled).toBe(true);
  });

  afterAll(async () => {
    await pg?.end();
    await api?.close();
    await sink?.close();
    await dns?.close();
  });

  /** What the recipients themselves say, for the account, optionally narrowed by a condition on m (message). */
  async function counted(accountId: string, where = 'true'): Promise<Record<string, number>> {
    const { rows } = await pg.query(
      `SELECT count(*)::int AS accepted,
              count(*) FILTER (WHERE r.status = 'delivered')::int AS delivered,
              count(*) FILTER (WHERE r.status = 'bounced' AND r.bounce_type = 'hard')::int AS bounced_hard,
              count(*) FILTER (WHERE r.status = 'bounced' AND r.bounce_type = 'soft')::int AS bounced_soft,
              count(*) FILTER (WHERE r.status = 'blocked')::int AS blocked,
              count(*) FILTER (WHERE r.status = 'failed')::int AS failed,
              count(*) FILTER (WHERE r.status = 'suppressed')::int AS suppressed
         FROM recipients r JOIN messages m ON m.id = r.message_id JOIN domains d ON d.id = m.domain_id
        WHERE r.account_id = $1 AND ${where}`,
      [accountId],
    );
    return rows[0];
  }

  const pick = (totals: Record<string, number>) => ({
    accepted: totals.accepted,
    delivered: totals.delivered,
    bounced_hard: totals.bounced_hard,
    bounced_soft: totals.bounced_soft,
    blocked: totals.blocked,
    failed: totals.failed,
    suppressed: totals.suppressed,
  });

  it('totals equal a count over the recipients, whole and by stream, tag and sending domain', async () => {
    const all = (await api.request('GET', '/v1/stats?granularity=day', { key: a.key })).body;
    const whole = await counted(a.accountId);
    expect(whole.accepted).toBeGreaterThan(48);
    expect(whole.bounced_hard).toBeGreaterThan(0);
    expect(whole.suppressed).toBeGreaterThan(0);
    expect(pick(all.totals)).toEqual(whole);
    expect(all.totals.bounced).toBe(whole.bounced_hard + whole.bounced_soft);

    const broadcast = (await api.request('GET', '/v1/stats?stream=broadcast', { key: a.key })).body;
    expect(pick(broadcast.totals)).toEqual(await counted(a.accountId, `m.stream = 'broadcast'`));
    const promo = (await api.request('GET', '/v1/stats?tag=promo', { key: a.key })).body;
    expect(pick(promo.totals)).toEqual(await counted(a.accountId, `'promo' = ANY(m.tags)`));
    const second = (await api.request('GET', '/v1/stats?domain=stats-a2.test', { key: a.key })).body;
    expect(pick(second.totals)).toEqual(await counted(a.accountId, `d.name = 'stats-a2.test'`));

    const hourly = (await api.request('GET', '/v1/stats?granularity=hour', { key: a.key })).body;
    // The last 24 hours, from the start of the hour they begin in: 25 buckets (24 on the hour).
    expect(hourly.buckets.length).toBeGreaterThanOrEqual(24);
    expect(hourly.buckets.length).toBeLessThanOrEqual(25);
    expect(hourly.buckets.reduce((n: number, bucket: any) => n + bucket.accepted, 0)).toBe(whole.accepted);
    expect(hourly.buckets.every((bucket: any) => bucket.start.endsWith(':00:00.000Z'))).toBe(true);
  });

  it('lists bounce reasons by code, recipient domain and provider, bounces and blocks apart', async () => {
    const res = await api.request('GET', '/v1/stats/bounces', { key: a.key });
    expect(res.status).toBe(200);
    const whole = await counted(a.accountId);
    expect(res.body.bounced).toMatchObject({ total: whole.bounced_hard + whole.bounced_soft, hard: whole.bounced_hard, soft: whole.bounced_soft });
    expect(res.body.blocked.total).toBe(whole.blocked);
    const codes = Object.fromEntries(res.body.bounced.by_code.map((c: any) => [c.code, c]));
    expect(codes['5.1.1']).toMatchObject({ count: whole.bounced_hard, hard: whole.bounced_hard, soft: 0 });
    expect(codes['5.1.1'].sample).toContain('does not exist');
    expect(codes['5.2.2']).toMatchObject({ count: whole.bounced_soft, soft: whole.bounced_soft });
    expect(res.body.blocked.by_code.map((c: any) => c.code)).toEqual(['5.7.1']);
    expect(res.body.bounced.by_domain.map((d: any) => d.domain).sort()).toEqual(['gmail.test', 'hotmail.test']);
    const providers = Object.fromEntries(res.body.bounced.by_provider.map((p: any) => [p.provider, p.count]));
    expect(Object.keys(providers).sort()).toEqual(['Google', 'Microsoft']);
    expect(providers.Google + providers.Microsoft).toBe(whole.bounced_hard + whole.bounced_soft);
  });

  it("judges each sending domain's health: rates against Gmail's limits, authentication, one-click unsubscribe", async () => {
    const res = await api.request('GET', '/v1/stats/health', { key: a.key });
    expect(res.status).toBe(200);
    expect(res.body.domains.map((d: any) => d.domain).sort()).toEqual(['stats-a.test', 'stats-a2.test']);
    const domain = res.body.domains.find((d: any) => d.domain === 'stats-a.test');
    const check = (name: string, window?: string) => domain.checks.find((c: any) => c.check === name && c.window === window);
    const { rows } = await pg.query(
      `SELECT count(*) FILTER (WHERE r.status = 'bounced' AND r.bounce_type = 'hard')::float8 / count(*) FILTER (WHERE r.status IN ('delivered', 'bounced', 'blocked', 'failed')) AS rate
         FROM recipients r JOIN messages m ON m.id = r.message_id WHERE m.domain_id = $1`,
      [a.domainId],
    );
    expect(check('hard_bounce_rate', '24h').value).toBeCloseTo(rows[0].rate, 6);
    expect(check('hard_bounce_rate', '24h').status).toBe('failing');
    expect(check('complaint_rate', '7d')).toMatchObject({ status: 'ok', value: 0 });
    expect(check('blocked_rate', '24h').status).toBe('failing');
    expect(check('dkim')).toMatchObject({ status: 'ok', value: true });
    expect(check('dmarc')).toMatchObject({ status: 'ok', value: true });
    expect(check('spf').status).toBe('ok');
    expect(check('one_click_unsubscribe', '7d')).toMatchObject({ status: 'ok', value: true });
    expect(check('unsubscribe_time', '7d').status).toBe('ok');
    expect(domain.status).toBe('failing');
    expect(domain.checks.every((c: any) => typeof c.why === 'string' && c.why.length > 10)).toBe(true);
  });

  it('refuses ranges it cannot answer', async () => {
    const bad = [
      ['/v1/stats?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 422],
      ['/v1/stats?granularity=hour&from=2026-01-01T00:00:00Z&to=2026-11-01T00:00:00Z', 422],
      ['/v1/stats?granularity=week', 400],
      ['/v1/stats?campaign_id=nope', 400],
      ['/v1/stats?domain=unknown.test', 404],
    ] as const;
    for (const [path, status] of bad) expect((await api.request('GET', path, { key: a.key })).status, path).toBe(status);
  });

  it("shows an account none of another's counts, bounces or domains", async () => {
    const stats = (await api.request('GET', '/v1/stats', { key: b.key })).body;
    expect(pick(stats.totals)).toEqual(await counted(b.accountId));
    expect(stats.totals.accepted).toBe(1);
    const bounces = (await api.request('GET', '/v1/stats/bounces', { key: b.key })).body;
    expect(bounces.bounced.total).toBe(1);
    expect(bounces.blocked.total).toBe(0);
    expect((await api.request('GET', '/v1/stats/health', { key: b.key })).body.domains.map((d: any) => d.domain)).toEqual(['stats-b.test']);
    expect((await api.request('GET', '/v1/stats?domain=stats-a.test', { key: b.key })).status).toBe(404);
    expect((await api.request('GET', '/v1/stats/bounces?domain=stats-a.test', { key: b.key })).status).toBe(404);
  });
});
