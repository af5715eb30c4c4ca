import type { Client } from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnsubscribeTokens } from '@mailroom/newsletter';
import { arrivals, createAccountKey, createSendingAccount, startDestination, until, type SendingAccount, type SmtpSink, type TestDnsServer } from '@mailroom/testing';
import { campaignOf, headerOf, messageIdsAtSink, seedContacts, seedList } from './support/campaign-fixture';
import { startApiDeliveringTo, type ApiWithDns, type TestApi } from './support/test-api';

const PUBLIC_URL = 'https://mail.example.test';
const HTML = '<p>Hi {{contact.attributes.name}},</p><p><a href="https://shop.example.test/sale">Sale</a></p><p><a href="{{unsubscribe_url}}">Unsubscribe</a> · <a href="{{web_version_url}}">View in a browser</a></p>';

/** The decoded text of a quoted-printable MIME part of a received message (ASCII content). */
function part(raw: Buffer, type: 'text/html' | 'text/plain'): string {
  const text = raw.toString('latin1');
  const start = text.search(new RegExp(`Content-Type: ${type.replace('/', '\\/')}`, 'i'));
  if (start < 0) return '';
  const body = text.slice(text.indexOf('\r\n\r\n', start) + 4);
  const end = body.search(/\r\n--/);
  const encoded = end < 0 ? body : body.slice(0, end);
  return encoded.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * Campaigns end to end: the API and a worker in one process (as `npm start` runs them), a DNS
 * server and an SMTP sink. What is asserted is what a sender and a recipient see: the API's
 * answers and the messages at the sink, counted by Message-ID.
 */
describe('campaigns', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let pg: Client;
  let sender: SendingAccount;
  let setup: ApiWithDns;

  beforeAll(async () => {
    const destination = await startDestination('inbox.test', '127.0.0.41');
    sink = destination.sink;
    ({ api, dns, pg } = setup = await startApiDeliveringTo(destination, { PUBLIC_URL, RETRY_SCHEDULE: '1', SWEEP_INTERVAL_SECONDS: '2' }));
    sender = await createSendingAccount(api, dns, 'news.test');
  });

  beforeEach(() => {
    sink.behaviour = {};
  });

  afterAll(async () => {
    await setup?.close();
  });

  /** A list of `n` active subscribers `<tag><i>@inbox.test`, each with a name. */
  async function audience(tag: string, n: number): Promise<{ listId: string; contactIds: string[] }> {
    const listId = await seedList(pg, sender.accountId, `list ${tag}`, `${tag}.news.test`);
    const contactIds = await seedContacts(pg, sender.accountId, Array.from({ length: n }, (_, i) => ({ email: `${tag}${i}@inbox.test`, attributes: { name: `Person ${i}` } })), listId);
    return { listId, contactIds };
  }

  async function create(body: Record<string, unknown>, key = sender.key): Promise<any> {
    const res = await api.request('POST', '/v1/campaigns', { key, body: { name: 'Newsletter', from: 'News <news@news.test>', subject: 'News for {{contact.attributes.name}}', html: HTML, ...body } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  }

  async function send(id: string): Promise<any> {
    const res = await api.request('POST', `/v1/campaigns/${id}/send`, { key: sender.key });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  async function reaches(id: string, status: string, timeoutMs = 90_000): Promise<any> {
    let last: any;
    const ok = await until(async () => (last = await campaignOf(api, sender.key, id)).status === status, { timeoutMs, intervalMs: 200 });
    expect(ok, `campaign still ${last?.status}: ${JSON.stringify({ progress: last?.progress, results: last?.results })}`).toBe(true);
    return last;
  }

  it('sends to a list: personalized, with List-Unsubscribe headers and tracked links, to active subscribers only', async () => {
    const { listId } = await audience('pers', 5);
    // Not in the audience: unsubscribed from the list, and a contact whose address bounced.
    await seedContacts(pg, sender.accountId, [{ email: 'pers-left@inbox.test', membership: 'unsubscribed' }, { email: 'pers-bounced@inbox.test', status: 'bounced' }], listId);
    const campaign = await create({ list_ids: [listId], preheader: 'Everything on sale' });
    expect(campaign.status).toBe('draft');
    const started = await send(campaign.id);
    expect(started.status).toBe('sending');
    expect(started.progress.total).toBe(5);

    const done = await reaches(campaign.id, 'sent');
    expect(done.results).toMatchObject({ recipients: 5, sent: 5, delivered: 5, deferred: 0, failed: 0, queued: 0 });
    expect(done.progress).toMatchObject({ total: 5, materialized: 5, pending: 0 });
    expect(done.finished_at).toBeTruthy();

    const got = sink.messages.filter((m) => m.to[0]!.startsWith('pers'));
    expect(got.map((m) => m.to[0]).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `pers${i}@inbox.test`));
    for (const m of got) {
      const i = /pers(\d)/.exec(m.to[0]!)![1];
      expect(headerOf(m.raw, 'Subject')).toBe(`News for Person ${i}`);
      expect(headerOf(m.raw, 'List-Unsubscribe')).toMatch(new RegExp(`^<${PUBLIC_URL}/u/[A-Za-z0-9_-]+>, <mailto:[^>]+>$`));
      expect(headerOf(m.raw, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
      expect(headerOf(m.raw, 'List-Id')).toBe('<pers.news.test>');
      const html = part(m.raw, 'text/html');
      expect(html).toContain(`Hi Person ${i},`);
      expect(html).toContain('Everything on sale'); // preheader, hidden
      expect(html).toMatch(new RegExp(`href="${PUBLIC_URL}/t/c/[A-Za-z0-9_-]+">Sale</a>`)); // click tracking
      expect(html).not.toContain('https://shop.example.test/sale');
      expect(html).toMatch(new RegExp(`<img src="${PUBLIC_URL}/t/o/`)); // open pixel
      expect(html).toMatch(new RegExp(`href="${PUBLIC_URL}/u/[A-Za-z0-9_-]+">Unsubscribe</a>`)); // never rewritten
      const text = part(m.raw, 'text/plain');
      expect(text).toContain(`Hi Person ${i},`);
      expect(text).toMatch(new RegExp(`Unsubscribe \\[${PUBLIC_URL}/u/[A-Za-z0-9_-]+\\]`));
    }
    const delivered = await api.request('GET', `/v1/campaigns/${campaign.id}/recipients?status=delivered`, { key: sender.key });
    expect(delivered.body.data).toHaveLength(5);
    const undelivered = await api.request('GET', `/v1/campaigns/${campaign.id}/recipients`, { key: sender.key });
    expect(undelivered.body).toEqual({ data: [], next_cursor: null });
  });

  it('refuses to send without a visible unsubscribe link (422), and says how to add one', async () => {
    const { listId } = await audience('nolink', 1);
    const hidden = await create({ list_ids: [listId], html: '<p>Hello</p><!-- <a href="{{unsubscribe_url}}">x</a> -->' });
    const refused = await api.request('POST', `/v1/campaigns/${hidden.id}/send`, { key: sender.key });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('unsubscribe_link_missing');
    expect(refused.body.error.message).toMatch(/\{\{unsubscribe_url\}\}/);
    const textOnly = await create({ list_ids: [listId], html: null, text: 'Hello, no link here' });
    expect((await api.request('POST', `/v1/campaigns/${textOnly.id}/send`, { key: sender.key })).status).toBe(422);
    expect((await campaignOf(api, sender.key, hidden.id)).status).toBe('draft');
    // Fixed, it goes.
    const fixed = await api.request('PATCH', `/v1/campaigns/${hidden.id}`, { key: sender.key, body: { html: HTML } });
    expect(fixed.status).toBe(200);
    await send(hidden.id);
    await reaches(hidden.id, 'sent');
  });

  it('test-sends to up to 10 addresses without counting them in the campaign', async () => {
    const { listId } = await audience('tst', 2);
    const campaign = await create({ list_ids: [listId] });
    const tested = await api.request('POST', `/v1/campaigns/${campaign.id}/test`, { key: sender.key, body: { emails: ['tester@inbox.test', 'tst0@inbox.test'] } });
    expect(tested.status).toBe(202);
    expect(tested.body.data.map((d: { status: string }) => d.status)).toEqual(['queued', 'queued']);
    await until(() => arrivals(sink, 'tester').size === 1 && arrivals(sink, 'tst0').size === 1, { timeoutMs: 30_000 });
    const toContact = sink.messages.find((m) => m.to[0] === 'tst0@inbox.test')!;
    expect(headerOf(toContact.raw, 'Subject')).toBe('[Test] News for Person 0'); // the contact's own fields
    expect(headerOf(toContact.raw, 'List-Unsubscribe')).toContain(`${PUBLIC_URL}/u/`);
    const after = await campaignOf(api, sender.key, campaign.id);
    expect(after.status).toBe('draft');
    expect(after.results).toMatchObject({ recipients: 0, sent: 0, delivered: 0 });
    const tooMany = await api.request('POST', `/v1/campaigns/${campaign.id}/test`, { key: sender.key, body: { emails: Array.from({ length: 11 }, (_, i) => `t${i}@inbox.test`) } });
    expect(tooMany.status).toBe(400);
  });

  it('pauses within the in-flight window, resumes without duplicates or gaps, and refuses illegal moves with 409', async () => {
    const { listId } = await audience('pz', 40);
    const campaign = await create({ list_ids: [listId], rate_per_minute: 120 });
    const draftPause = await api.request('POST', `/v1/campaigns/${campaign.id}/pause`, { key: sender.key });
    expect(draftPause.status).toBe(409);
    expect(draftPause.body.error.message).toMatch(/is draft; only a sending campaign can be paused/);
    await send(campaign.id);
    await until(() => arrivals(sink, 'pz').size >= 3, { timeoutMs: 60_000 });
    const paused = await api.request('POST', `/v1/campaigns/${campaign.id}/pause`, { key: sender.key });
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('paused');
    // What was handed to delivery before the pause goes out; then nothing more is materialized.
    await until(async () => (await campaignOf(api, sender.key, campaign.id)).results.queued === 0, { timeoutMs: 60_000 });
    const held = await campaignOf(api, sender.key, campaign.id);
    await new Promise((r) => setTimeout(r, 3_000)); // several dispatcher ticks
    const still = await campaignOf(api, sender.key, campaign.id);
    expect(still.progress.materialized).toBe(held.progress.materialized);
    expect(still.progress.pending).toBeGreaterThan(0);
    expect(arrivals(sink, 'pz').size).toBe(held.results.sent);
    expect((await api.request('PATCH', `/v1/campaigns/${campaign.id}`, { key: sender.key, body: { subject: 'changed' } })).status).toBe(409);
    expect((await api.request('DELETE', `/v1/campaigns/${campaign.id}`, { key: sender.key })).status).toBe(409);

    expect((await api.request('POST', `/v1/campaigns/${campaign.id}/resume`, { key: sender.key })).body.status).toBe('sending');
    const done = await reaches(campaign.id, 'sent');
    expect(done.results).toMatchObject({ recipients: 40, sent: 40, delivered: 40 });
    const ids = messageIdsAtSink(sink, 'pz');
    expect(ids.size).toBe(40);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect(arrivals(sink, 'pz').size).toBe(40);
    const again = await api.request('POST', `/v1/campaigns/${campaign.id}/resume`, { key: sender.key });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/is sent; only a paused campaign can be resumed/);
  });

  it('cancels for good: nobody not yet materialized gets it', async () => {
    const { listId } = await audience('cx', 40);
    const campaign = await create({ list_ids: [listId], rate_per_minute: 120 });
    await send(campaign.id);
    await until(() => arrivals(sink, 'cx').size >= 3, { timeoutMs: 60_000 });
    const cancelled = await api.request('POST', `/v1/campaigns/${campaign.id}/cancel`, { key: sender.key });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.progress.pending).toBe(0);
    expect(cancelled.body.progress.skipped_by_reason.cancelled).toBeGreaterThan(0);
    await until(async () => (await campaignOf(api, sender.key, campaign.id)).results.queued === 0, { timeoutMs: 60_000 });
    const after = await campaignOf(api, sender.key, campaign.id);
    expect(after.results.sent + after.progress.skipped_by_reason.cancelled).toBe(40);
    expect(arrivals(sink, 'cx').size).toBe(after.results.sent);
    expect((await api.request('POST', `/v1/campaigns/${campaign.id}/resume`, { key: sender.key })).status).toBe(409);
    expect((await api.request('POST', `/v1/campaigns/${campaign.id}/send`, { key: sender.key })).status).toBe(409);
  });

  it('applies an unsubscribe to the rest of a running campaign', async () => {
    const { listId, contactIds } = await audience('un', 30);
    const campaign = await create({ list_ids: [listId], rate_per_minute: 300 });
    await send(campaign.id);
    await until(() => arrivals(sink, 'un').size >= 1, { timeoutMs: 60_000 });
    // Someone whose copy is not made yet unsubscribes with the one-click link of an earlier mail.
    const { rows } = await pg.query<{ contact_id: string; email: string }>(
      `SELECT contact_id, email FROM campaign_recipients WHERE campaign_id = $1 AND status = 'pending' ORDER BY contact_id DESC LIMIT 1`,
      [campaign.id],
    );
    expect(rows).toHaveLength(1);
    const token = api.app.get(UnsubscribeTokens).encode({ accountId: sender.accountId, contactId: rows[0]!.contact_id, listId, recipientId: null });
    const res = await fetch(`${api.baseUrl}/u/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(res.status).toBe(200);
    const done = await reaches(campaign.id, 'sent');
    expect(done.progress.skipped_by_reason).toEqual({ unsubscribed: 1 });
    expect(done.results.delivered).toBe(29);
    const got = arrivals(sink, 'un');
    expect(got.size).toBe(29);
    expect(got.has(rows[0]!.email)).toBe(false);
    expect(contactIds).toContain(rows[0]!.contact_id);
  });

  it('defers on 4xx (throttling) and still reaches sent, with every recipient delivered', async () => {
    const { listId } = await audience('grey', 4);
    const seen = new Set<string>();
    sink.behaviour = {
      rcpt: (address) => {
        if (!address.startsWith('grey') || seen.has(address)) return undefined;
        seen.add(address);
        return { code: 450, message: '4.7.28 Too many messages, slow down; try again in 1 second' };
      },
    };
    const campaign = await create({ list_ids: [listId] });
    await send(campaign.id);
    const done = await reaches(campaign.id, 'sent');
    expect(done.results).toMatchObject({ recipients: 4, delivered: 4, deferred: 0, failed: 0 });
    const delivered = await api.request('GET', `/v1/campaigns/${campaign.id}/recipients?status=delivered`, { key: sender.key });
    expect(delivered.body.data.map((r: { attempts: number }) => r.attempts)).toEqual([2, 2, 2, 2]);
    expect(arrivals(sink, 'grey').size).toBe(4);
  });

  it('sends again to the recipients that failed, as a new campaign', async () => {
    const { listId } = await audience('rf', 4);
    sink.behaviour = { rcpt: (address) => (address === 'rf1@inbox.test' || address === 'rf3@inbox.test' ? { code: 550, message: '5.7.1 Message refused by policy' } : undefined) };
    const campaign = await create({ list_ids: [listId] });
    expect((await api.request('POST', `/v1/campaigns/${campaign.id}/resend-failed`, { key: sender.key })).status).toBe(409); // a draft
    await send(campaign.id);
    const done = await reaches(campaign.id, 'sent');
    expect(done.results).toMatchObject({ delivered: 2, blocked: 2 });
    const undelivered = await api.request('GET', `/v1/campaigns/${campaign.id}/recipients?status=undelivered`, { key: sender.key });
    expect(undelivered.body.data.map((r: { email: string }) => r.email).sort()).toEqual(['rf1@inbox.test', 'rf3@inbox.test']);
    expect(undelivered.body.data[0].last_code).toBe(550);

    sink.behaviour = {};
    const resend = await api.request('POST', `/v1/campaigns/${campaign.id}/resend-failed`, { key: sender.key });
    expect(resend.status).toBe(201);
    expect(resend.body).toMatchObject({ status: 'draft', parent_campaign_id: campaign.id, failed_recipients: 2, html: HTML });
    // Campaign ids grow with time (UUIDv7), so each campaign's frozen recipients go in at the
    // right edge of campaign_recipients' primary key.
    expect([campaign.id[14], resend.body.id[14]]).toEqual(['7', '7']);
    expect(resend.body.id > campaign.id).toBe(true);
    const again = await send(resend.body.id);
    expect(again.progress.total).toBe(2);
    const second = await reaches(resend.body.id, 'sent');
    expect(second.results).toMatchObject({ recipients: 2, delivered: 2 });
    const got = arrivals(sink, 'rf');
    expect(Object.fromEntries(got)).toEqual({ 'rf0@inbox.test': 1, 'rf1@inbox.test': 1, 'rf2@inbox.test': 1, 'rf3@inbox.test': 1 });
  });

  it('starts a scheduled campaign at its time, with a template’s content', async () => {
    const { listId } = await audience('sch', 2);
    const template = await api.request('POST', '/v1/templates', { key: sender.key, body: { name: 'monthly', subject: 'Monthly for {{contact.attributes.name}}', html: HTML } });
    expect(template.status).toBe(201);
    const campaign = await create({ list_ids: [listId], html: undefined, subject: undefined, template_id: template.body.id, send_at: new Date(Date.now() + 2_000).toISOString() });
    expect(campaign.subject).toBe('Monthly for {{contact.attributes.name}}');
    const scheduled = await send(campaign.id);
    expect(scheduled.status).toBe('scheduled');
    await reaches(campaign.id, 'sent');
    expect(sink.messages.filter((m) => m.to[0]!.startsWith('sch')).map((m) => headerOf(m.raw, 'Subject')).sort()).toEqual(['Monthly for Person 0', 'Monthly for Person 1']);
  });

  it('keeps accounts apart: another account reaches none of its campaigns, lists or domains', async () => {
    const { listId } = await audience('iso', 1);
    const campaign = await create({ list_ids: [listId] });
    const other = await createAccountKey(api, 'intruder');
    for (const [method, path, body] of [
      ['GET', `/v1/campaigns/${campaign.id}`, undefined],
      ['GET', `/v1/campaigns/${campaign.id}/recipients`, undefined],
      ['PATCH', `/v1/campaigns/${campaign.id}`, { name: 'mine now' }],
      ['DELETE', `/v1/campaigns/${campaign.id}`, undefined],
      ['POST', `/v1/campaigns/${campaign.id}/send`, undefined],
      ['POST', `/v1/campaigns/${campaign.id}/pause`, undefined],
      ['POST', `/v1/campaigns/${campaign.id}/cancel`, undefined],
      ['POST', `/v1/campaigns/${campaign.id}/resend-failed`, undefined],
      ['POST', `/v1/campaigns/${campaign.id}/test`, { emails: ['x@inbox.test'] }],
    ] as const) {
      const res = await api.request(method, path, { key: other.key, body });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await api.request('GET', '/v1/campaigns', { key: other.key })).body.data).toEqual([]);
    const theirList = await api.request('POST', '/v1/campaigns', { key: other.key, body: { name: 'x', from: 'a@news.test', subject: 's', html: HTML, list_ids: [listId] } });
    expect(theirList.status).toBe(422);
    expect(theirList.body.error.code).toBe('unknown_sender_domain');
    const otherSender = await createSendingAccount(api, dns, 'intruder.test');
    const listOnly = await api.request('POST', '/v1/campaigns', { key: otherSender.key, body: { name: 'x', from: 'a@intruder.test', subject: 's', html: HTML, list_ids: [listId] } });
    expect(listOnly.status).toBe(422);
    expect(listOnly.body.error.code).toBe('unknown_list');
    expect((await campaignOf(api, sender.key, campaign.id)).name).toBe('Newsletter');
  });
});
