import { randomUUID } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import nodemailer from 'nodemailer';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BroadcastDecorator, EngagementRecorder } from '@mailroom/newsletter';
import { createSendingAccount, freePort, SmtpSink, TestDnsServer, until, type SendingAccount } from '@mailroom/testing';
import { InboundModule } from '../../smtp/src/inbound/inbound.module';
import { startTestApi, type TestApi } from './support/test-api';

/**
 * Unsubscribe and tracking end to end: API broadcast mail through the worker to an SMTP sink
 * (headers, DKIM), the public links over real HTTP (one-click in both encodings, the page, the
 * pixel, the redirect), the mailto address through the inbound MX with a real SMTP client, and
 * what later sends do.
 */
describe('unsubscribe and tracking', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let pg: Client;
  let sender: SendingAccount;
  let other: SendingAccount;
  let inboundPort: number;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    const port = await freePort();
    sink = await SmtpSink.start({ host: '127.0.0.2', port });
    dns.add({ type: 'MX', name: 'reader.test', exchange: 'mx.reader.test', priority: 10 });
    dns.add({ type: 'A', name: 'mx.reader.test', address: '127.0.0.2' });
    inboundPort = await freePort();
    api = await startTestApi(
      { DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(port), SMTP_INBOUND_PORT: String(inboundPort), RETRY_SCHEDULE: '1', SWEEP_INTERVAL_SECONDS: '1' },
      { worker: true, modules: [InboundModule] },
    );
    pg = new Client({ connectionString: api.db.url });
    await pg.connect();
    sender = await createSendingAccount(api, dns, 'news.test');
    other = await createSendingAccount(api, dns, 'other.test');
  });

  afterAll(async () => {
    await pg?.end();
    await api?.close();
    await sink?.close();
    await dns?.close();
  });

  /** A contact on two lists (fixtures written directly: the contacts API is another part's). */
  async function contactOnLists(accountId: string, email: string): Promise<{ contactId: string; lists: [string, string] }> {
    const contactId = randomUUID();
    const lists: [string, string] = [randomUUID(), randomUUID()];
    await pg.query(`INSERT INTO contacts (id, account_id, email) VALUES ($1, $2, $3)`, [contactId, accountId, email]);
    for (const [i, id] of lists.entries()) {
      await pg.query(`INSERT INTO contact_lists (id, account_id, name, list_id_header) VALUES ($1, $2, $3, $4)`, [id, accountId, `List ${i} ${email}`, `list${i}.news.test`]);
      await pg.query(`INSERT INTO list_memberships (list_id, contact_id, status) VALUES ($1, $2, 'subscribed')`, [id, contactId]);
    }
    return { contactId, lists };
  }

  async function memberships(contactId: string): Promise<Record<string, string>> {
    const { rows } = await pg.query<{ list_id: string; status: string }>('SELECT list_id, status FROM list_memberships WHERE contact_id = $1', [contactId]);
    return Object.fromEntries(rows.map((r) => [r.list_id, r.status]));
  }

  async function contactStatus(contactId: string): Promise<string> {
    return (await pg.query<{ status: string }>('SELECT status FROM contacts WHERE id = $1', [contactId])).rows[0]!.status;
  }

  async function send(key: string, body: Record<string, unknown>): Promise<any> {
    const res = await api.request('POST', '/v1/messages', { key, body: { from: 'News <news@news.test>', subject: 'Issue 1', ...body } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body;
  }

  async function arrived(to: string): Promise<string> {
    await until(() => sink.messages.some((m) => m.to.includes(to)), { timeoutMs: 20_000 });
    const message = sink.messages.find((m) => m.to.includes(to));
    if (!message) throw new Error(`nothing arrived for ${to}`);
    return message.raw.toString('latin1');
  }

  /** A header's unfolded value. */
  function header(raw: string, name: string): string | undefined {
    const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
    return new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1];
  }

  function decodedBody(raw: string): string {
    // nodemailer writes HTML quoted-printable: undo soft breaks and escapes.
    return raw.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }

  const path = (url: string) => (url.startsWith('/') ? url : new URL(url).pathname);
  const unsubscribeUrl = (raw: string) => /<(https?:\/\/[^>]+\/u\/[^>]+)>/.exec(header(raw, 'List-Unsubscribe')!)![1]!;

  async function post(url: string, body: string | FormData, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(api.baseUrl + path(url), { method: 'POST', body, headers, redirect: 'manual' });
  }

  async function events(messageId: string, type: string): Promise<any[]> {
    await api.app.get(EngagementRecorder).drain();
    const { rows } = await pg.query('SELECT recipient_id, detail, data, created_at FROM message_events WHERE message_id = $1 AND type = $2 ORDER BY id', [messageId, type]);
    return rows;
  }

  it('gives each recipient of API broadcast mail its own copy with List-Unsubscribe, one-click and List-Id, signed by DKIM', async () => {
    const { contactId } = await contactOnLists(sender.accountId, 'ann@reader.test');
    const answer = await send(sender.key, {
      to: ['ann@reader.test', 'Bob <bob@reader.test>'],
      stream: 'broadcast',
      html: '<html><body><p>Hello</p><a href="https://shop.example/sale?a=1&amp;b=2">Sale</a> <a href="mailto:help@news.test">help</a> <a href="{{unsubscribe_url}}">Unsubscribe</a></body></html>',
      text: 'Hello. Unsubscribe: {{unsubscribe_url}}',
    });
    expect(answer.status).toBe('queued');
    expect(answer.messages.map((m: any) => m.to)).toEqual(['ann@reader.test', 'bob@reader.test']);
    expect(answer.messages[0].id).toBe(answer.id);
    expect(new Set(answer.messages.map((m: any) => m.id)).size).toBe(2);

    const raw = await arrived('ann@reader.test');
    const list = header(raw, 'List-Unsubscribe')!;
    expect(list).toMatch(/^<http:\/\/localhost:3000\/u\/[A-Za-z0-9_-]+>, <mailto:unsubscribe-[0-9a-f]{32}-[0-9a-f]{16}@/);
    expect(list).toContain(`@${sender.returnPathDomain}?subject=unsubscribe>`);
    expect(header(raw, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(header(raw, 'List-Id')).toBe('<broadcast.' + sender.returnPathDomain + '>');
    // Each copy is signed for its own recipient.
    expect(unsubscribeUrl(await arrived('bob@reader.test'))).not.toBe(unsubscribeUrl(raw));

    const resolver = new Resolver();
    resolver.setServers([dns.address]);
    const verified = await dkimVerify(Buffer.from(raw, 'latin1'), {
      resolver: async (name: string, type: string) => (type === 'TXT' ? resolver.resolveTxt(name) : []),
    } as Parameters<typeof dkimVerify>[1]);
    const results = verified.results as Array<{ status: { result: string }; signingHeaders?: { keys?: string } }>;
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) expect(result.status.result).toBe('pass');
    for (const signature of raw.split(/\r\n(?=DKIM-Signature:)/i).filter((s) => /^DKIM-Signature:/i.test(s))) {
      const h = /\bh=([^;]+)/.exec(signature.replace(/\r\n[ \t]+/g, ''))![1]!.toLowerCase().split(':').map((s) => s.trim());
      expect(h).toEqual(expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post', 'list-id']));
    }

    // Tracking is on by default for broadcast: links rewritten (not mailto), pixel appended.
    const body = decodedBody(raw);
    expect(body).toMatch(/href="http:\/\/localhost:3000\/t\/c\/[A-Za-z0-9_-]+">Sale/);
    expect(body).toContain('href="mailto:help@news.test"');
    expect(body).toMatch(/<img src="http:\/\/localhost:3000\/t\/o\/[A-Za-z0-9_-]+"/);
    // {{unsubscribe_url}} in API broadcast mail is the copy's own link, visible in both parts, and not click-tracked.
    const visible = unsubscribeUrl(raw);
    expect(body).toContain(`<a href="${visible}">Unsubscribe</a>`);
    expect(body).toContain(`Unsubscribe: ${visible}`);
    const { rows } = await pg.query('SELECT contact_id FROM recipients WHERE message_id = $1', [answer.id]);
    expect(rows[0].contact_id).toBe(contactId);
  });

  it('leaves transactional mail untracked unless asked, and tracks it per message when asked', async () => {
    await send(sender.key, { to: 'plain@reader.test', html: '<p><a href="https://x.example/">x</a></p>' });
    const plain = decodedBody(await arrived('plain@reader.test'));
    expect(plain).toContain('href="https://x.example/"');
    expect(plain).not.toContain('/t/o/');
    expect(header(await arrived('plain@reader.test'), 'List-Unsubscribe')).toBeUndefined();
    await send(sender.key, { to: 'tracked@reader.test', html: '<p><a href="https://x.example/">x</a></p>', track_clicks: true });
    const tracked = await arrived('tracked@reader.test');
    expect(decodedBody(tracked)).toMatch(/href="http:\/\/localhost:3000\/t\/c\//);
    expect(decodedBody(tracked)).not.toContain('/t/o/');
    expect(header(tracked, 'List-Unsubscribe')).toBeUndefined();
    const off = await send(sender.key, { to: 'off@reader.test', stream: 'broadcast', html: '<p><a href="https://x.example/">x</a></p>', track_clicks: false, track_opens: false });
    expect(off.messages).toBeUndefined();
    const untracked = await arrived('off@reader.test');
    expect(decodedBody(untracked)).toContain('href="https://x.example/"');
    expect(header(untracked, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
  });

  it('unsubscribes on a one-click POST (form-urlencoded), 200 without redirect; later broadcast mail is suppressed, transactional is not', async () => {
    const { contactId, lists } = await contactOnLists(sender.accountId, 'carol@reader.test');
    const answer = await send(sender.key, { to: 'carol@reader.test', stream: 'broadcast', text: 'Hi' });
    const url = unsubscribeUrl(await arrived('carol@reader.test'));

    // A GET (what link scanners do) and a HEAD change nothing.
    const page = await fetch(api.baseUrl + path(url));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<form method="post" action="${path(url)}">`);
    expect(html).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(html).toContain('carol@reader.test');
    expect(html).toContain(`value="${lists[0]}" checked`);
    expect((await fetch(api.baseUrl + path(url), { method: 'HEAD' })).status).toBe(200);
    expect(page.headers.get('set-cookie')).toBeNull();
    expect(await memberships(contactId)).toEqual({ [lists[0]]: 'subscribed', [lists[1]]: 'subscribed' });

    const res = await post(url, 'List-Unsubscribe=One-Click', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.text()).toContain('unsubscribed');
    // API mail names no list: every list, the contact, and a broadcast-only suppression.
    expect(await memberships(contactId)).toEqual({ [lists[0]]: 'unsubscribed', [lists[1]]: 'unsubscribed' });
    expect(await contactStatus(contactId)).toBe('unsubscribed');
    const recorded = await events(answer.id, 'unsubscribed');
    expect(recorded).toHaveLength(1);
    expect(recorded[0].recipient_id).toBeTruthy();
    // Repeating the POST records nothing twice.
    expect((await post(url, 'List-Unsubscribe=One-Click', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(200);
    expect(await events(answer.id, 'unsubscribed')).toHaveLength(1);

    const later = await send(sender.key, { to: 'carol@reader.test', stream: 'broadcast', text: 'Again' });
    expect(later.status).toBe('suppressed');
    const receipt = await send(sender.key, { to: 'carol@reader.test', text: 'Your receipt' });
    expect(receipt.status).toBe('queued');
  });

  it('unsubscribes from the one list a token names on a multipart/form-data POST', async () => {
    const { contactId, lists } = await contactOnLists(sender.accountId, 'dave@reader.test');
    const url = api.app.get(BroadcastDecorator).unsubscribeUrl({ accountId: sender.accountId, recipientId: '', contactId, listId: lists[1] });
    const form = new FormData();
    form.append('List-Unsubscribe', 'One-Click');
    const res = await post(url, form);
    expect(res.status).toBe(200);
    expect(await memberships(contactId)).toEqual({ [lists[0]]: 'subscribed', [lists[1]]: 'unsubscribed' });
    expect(await contactStatus(contactId)).toBe('active');
  });

  it('saves the preferences form: stays on the checked lists, leaves the others', async () => {
    const { contactId, lists } = await contactOnLists(sender.accountId, 'erin@reader.test');
    const url = api.app.get(BroadcastDecorator).unsubscribeUrl({ accountId: sender.accountId, recipientId: '', contactId, listId: null });
    const res = await post(url, `action=preferences&keep=${lists[0]}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
    expect(await memberships(contactId)).toEqual({ [lists[0]]: 'subscribed', [lists[1]]: 'unsubscribed' });
    const none = await post(url, 'action=preferences', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(none.status).toBe(200);
    expect(await contactStatus(contactId)).toBe('unsubscribed');
  });

  it('answers 404 to forged, altered and foreign tokens, and one account never reaches another\'s contacts', async () => {
    const { contactId, lists } = await contactOnLists(sender.accountId, 'frank@reader.test');
    const decorator = api.app.get(BroadcastDecorator);
    const url = decorator.unsubscribeUrl({ accountId: sender.accountId, recipientId: '', contactId, listId: lists[0] });
    const token = path(url).slice(3);
    const altered = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    for (const bad of [altered, token.slice(0, -2), 'x', `${token}AA`]) {
      const res = await post(`/u/${bad}`, 'List-Unsubscribe=One-Click', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(res.status).toBe(404);
      expect(JSON.stringify(await res.json())).not.toMatch(/hmac|signature|account/i);
      expect((await fetch(`${api.baseUrl}/u/${bad}`)).status).toBe(404);
    }
    // A genuine token of the other account that names this account's contact and list changes nothing.
    const foreign = decorator.unsubscribeUrl({ accountId: other.accountId, recipientId: '', contactId, listId: null });
    expect((await post(foreign, 'List-Unsubscribe=One-Click', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(200);
    expect(await memberships(contactId)).toEqual({ [lists[0]]: 'subscribed', [lists[1]]: 'subscribed' });
    expect(await contactStatus(contactId)).toBe('active');
    const page = await (await fetch(api.baseUrl + path(foreign))).text();
    expect(page).not.toContain('frank@reader.test');
    // Another account's broadcast to the same address is its own business.
    const mine = await send(other.key, { from: 'news@other.test', to: 'frank@reader.test', stream: 'broadcast', text: 'x' });
    expect(mine.status).toBe('queued');
  });

  it('unsubscribes by mail to the List-Unsubscribe mailto address through the inbound MX, and refuses forged ones with 550', async () => {
    const { contactId } = await contactOnLists(sender.accountId, 'gina@reader.test');
    const answer = await send(sender.key, { to: 'gina@reader.test', stream: 'broadcast', text: 'Hi' });
    const mailto = /<mailto:([^?>]+)/.exec(header(await arrived('gina@reader.test'), 'List-Unsubscribe')!)![1]!;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: inboundPort, secure: false, ignoreTLS: true });
    const info = await transport.sendMail({ envelope: { from: 'gina@reader.test', to: mailto }, raw: 'From: gina@reader.test\r\nSubject: unsubscribe\r\n\r\nunsubscribe\r\n' });
    expect(info.accepted).toEqual([mailto]);
    expect(await contactStatus(contactId)).toBe('unsubscribed');
    expect(await events(answer.id, 'unsubscribed')).toHaveLength(1);
    const forged = mailto.replace(/-([0-9a-f]{16})@/, (_, mac: string) => `-${mac[0] === '0' ? '1' : '0'}${mac.slice(1)}@`);
    await expect(transport.sendMail({ envelope: { from: 'x@reader.test', to: forged }, raw: 'Subject: x\r\n\r\nx\r\n' })).rejects.toMatchObject({ responseCode: 550 });
    transport.close();
  });

  it('redirects a click only to the URL in the message, records opens and clicks, and tells machines apart', async () => {
    const answer = await send(sender.key, {
      to: 'hal@reader.test',
      stream: 'broadcast',
      html: '<body><a href="https://shop.example/one">one</a><a href="https://shop.example/two">two</a></body>',
    });
    const body = decodedBody(await arrived('hal@reader.test'));
    const [one, two] = [...body.matchAll(/href="(http:\/\/localhost:3000\/t\/c\/[A-Za-z0-9_-]+)"/g)].map((m) => m[1]!);
    const pixel = /<img src="(http:\/\/localhost:3000\/t\/o\/[A-Za-z0-9_-]+)"/.exec(body)![1]!;
    const human = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36' };

    await until(async () => (await pg.query(`SELECT 1 FROM recipients WHERE message_id = $1 AND status = 'delivered'`, [answer.id])).rowCount === 1, { timeoutMs: 20_000 });
    // Delivered just now: a fetch in these seconds is a privacy proxy's or a scanner's.
    const early = await fetch(api.baseUrl + path(pixel), { headers: human });
    expect(early.status).toBe(200);
    expect(early.headers.get('content-type')).toBe('image/gif');
    expect(Buffer.from(await early.arrayBuffer()).subarray(0, 6).toString()).toBe('GIF89a');
    let opens = await events(answer.id, 'opened');
    expect(opens.map((o) => [o.data.machine, o.data.reason])).toEqual([[true, 'soon_after_delivery']]);

    // An hour later (the fixture moves delivery back), people's opens and clicks are people's.
    await pg.query(`UPDATE recipients SET delivered_at = now() - interval '1 hour' WHERE message_id = $1`, [answer.id]);
    expect((await fetch(api.baseUrl + path(pixel), { headers: { ...human, 'x-forwarded-for': '203.0.113.9' } })).status).toBe(200);
    expect((await fetch(api.baseUrl + path(pixel), { method: 'HEAD', headers: human })).status).toBe(200);
    expect((await fetch(api.baseUrl + path(pixel), { headers: { 'user-agent': 'Mozilla/5.0' } })).status).toBe(200);
    expect((await fetch(api.baseUrl + path(pixel), { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel)' } })).status).toBe(200);
    opens = await events(answer.id, 'opened');
    // Written in batches: the order of rows is not the order of requests.
    const byReason = (rows: any[]) => rows.map((o) => [o.data.machine, o.data.reason]).sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    expect(byReason(opens)).toEqual([
      [true, 'apple_mpp'],
      [true, 'head'],
      [false, null],
      [true, 'scanner:barracuda'],
      [true, 'soon_after_delivery'],
    ]);
    const person = opens.find((o) => o.data.machine === false);
    expect(person.data.ua).toBe(human['user-agent']);
    expect(person.data.ip).toBe('127.0.0.1');
    expect(person.recipient_id).toBeTruthy();

    const click = await fetch(api.baseUrl + path(one!), { redirect: 'manual', headers: human });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe('https://shop.example/one');
    let clicks = await events(answer.id, 'clicked');
    expect(clicks.map((c) => [c.data.url, c.data.machine])).toEqual([['https://shop.example/one', false]]);
    // HEAD redirects too, and counts as a machine's.
    const head = await fetch(api.baseUrl + path(two!), { method: 'HEAD', redirect: 'manual', headers: human });
    expect([head.status, head.headers.get('location')]).toEqual([302, 'https://shop.example/two']);
    // Every link within seconds: a scanner's burst, the earlier click included.
    expect((await fetch(api.baseUrl + path(two!), { redirect: 'manual', headers: human })).status).toBe(302);
    clicks = await events(answer.id, 'clicked');
    expect(clicks.map((c) => [c.data.url, c.data.machine, c.data.reason]).sort()).toEqual([
      ['https://shop.example/one', true, 'all_links_at_once'],
      ['https://shop.example/two', true, 'all_links_at_once'],
      ['https://shop.example/two', true, 'head'],
    ]);

    // Long URLs and list-naming unsubscribe tokens fit in the path.
    const long = `https://shop.example/${'p'.repeat(1500)}?q=${'x'.repeat(500)}`;
    const decorator = api.app.get(BroadcastDecorator);
    const longLink = /href="([^"]+)"/.exec(decorator.trackHtml(`<a href="${long}">l</a>`, { accountId: sender.accountId, messageId: answer.id, recipientId: opens[0].recipient_id, contactId: null, listId: null, email: 'hal@reader.test', listIdHeader: null }, { trackOpens: false, trackClicks: true }))![1]!;
    const followed = await fetch(api.baseUrl + path(longLink), { redirect: 'manual', headers: human });
    expect([followed.status, followed.headers.get('location')]).toEqual([302, long]);
    const listToken = decorator.unsubscribeUrl({ accountId: sender.accountId, recipientId: opens[0].recipient_id, contactId: randomUUID(), listId: randomUUID() });
    expect((await fetch(api.baseUrl + path(listToken))).status).toBe(200);

    // A token altered to point elsewhere is unknown: no open redirect.
    const token = path(one!).slice(5);
    const bytes = Buffer.from(token, 'base64url');
    const swapped = Buffer.concat([bytes.subarray(0, 19), Buffer.from('https://evil.example/'), bytes.subarray(bytes.length - 12)]).toString('base64url');
    for (const bad of [swapped, token.slice(0, -1), `${token.slice(0, 20)}${token[20] === 'A' ? 'B' : 'A'}${token.slice(21)}`]) {
      const res = await fetch(`${api.baseUrl}/t/c/${bad}`, { redirect: 'manual' });
      expect(res.status).toBe(404);
      expect(res.headers.get('location')).toBeNull();
    }
    expect((await fetch(`${api.baseUrl}/t/o/${token}`)).status).toBe(404);
  });
  it('shows a campaign\'s web version for a contact, and nothing for forged or foreign tokens', async () => {
    const { contactId, lists } = await contactOnLists(sender.accountId, 'ivy@reader.test');
    const created = await api.request('POST', '/v1/campaigns', {
      key: sender.key,
      body: { name: 'Web', list_ids: [lists[0]], from: 'news@news.test', subject: 'Web issue', html: '<p>Hello {{contact.email}}</p><a href="{{unsubscribe_url}}">Unsubscribe</a> <a href="{{web_version_url}}">web</a>' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const decorator = api.app.get(BroadcastDecorator);
    const url = decorator.webVersionUrl({ accountId: sender.accountId, contactId }, created.body.id);
    const res = await fetch(api.baseUrl + path(url));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Hello ivy@reader.test');
    expect(html).not.toContain('/t/o/');
    // Its unsubscribe link works like the mail's.
    const link = /href="(http:\/\/localhost:3000\/u\/[^"]+)"/.exec(html)![1]!;
    expect((await fetch(api.baseUrl + path(link))).status).toBe(200);
    const foreign = decorator.webVersionUrl({ accountId: other.accountId, contactId }, created.body.id);
    expect((await fetch(api.baseUrl + path(foreign))).status).toBe(404);
    const token = path(url).slice(3);
    expect((await fetch(`${api.baseUrl}/w/${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).status).toBe(404);
  });
});
