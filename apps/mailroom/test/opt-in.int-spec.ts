import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptInTokens } from '@mailroom/newsletter';
import { createSendingAccount, startDestination, until, type SendingAccount, type SmtpSink, type TestDnsServer } from '@mailroom/testing';
import { startApiDeliveringTo, type ApiWithDns, type TestApi } from './support/test-api';

/**
 * Double opt-in and the public subscription form end to end: the confirmation mail goes through
 * the worker to an SMTP sink, and its link is followed with a real HTTP client; hard bounces from
 * delivery mark the contact.
 */
describe('double opt-in and the subscription form', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let pg: Client;
  let sender: SendingAccount;
  let setup: ApiWithDns;

  beforeAll(async () => {
    const destination = await startDestination('reader.test', '127.0.0.3', { rcpt: (address) => (address.startsWith('bouncy') ? { code: 550, message: '5.1.1 no such user' } : undefined) });
    sink = destination.sink;
    ({ api, dns, pg } = setup = await startApiDeliveringTo(destination, { SUBSCRIBE_RATE_LIMIT: '8', RETRY_SCHEDULE: '1', SWEEP_INTERVAL_SECONDS: '1' }));
    sender = await createSendingAccount(api, dns, 'letters.test');
  });

  afterAll(async () => {
    await setup?.close();
  });

  const req = (method: string, path: string, body?: unknown) => api.request(method, path, { key: sender.key, body });

  /** The confirmation link in the mail that reached `to` (quoted-printable undone). */
  async function confirmLink(to: string): Promise<string> {
    const arrived = () => sink.messages.find((m) => m.to.includes(to));
    expect(await until(() => !!arrived(), { timeoutMs: 60_000 })).toBe(true);
    const text = arrived()!.raw.toString().replace(/=\r\n/g, '').replace(/=3D/g, '=');
    const link = /https?:\/\/[^\s"<>]+\/confirm\/[A-Za-z0-9_-]+/.exec(text);
    expect(link, text).not.toBeNull();
    // The link names PUBLIC_URL (http://localhost:3000 here); the API under test listens elsewhere.
    expect(link![0].startsWith(`${api.config.PUBLIC_URL.replace(/\/$/, '')}/confirm/`)).toBe(true);
    return api.baseUrl + new URL(link![0]).pathname;
  }
  const membership = async (listId: string, email: string) =>
    (
      await pg.query<{ status: string; confirmed_at: Date | null; confirm_ip: string | null; consent_method: string; consent_ip: string | null }>(
        `SELECT m.status, m.confirmed_at, m.confirm_ip, c.consent_method, c.consent_ip FROM list_memberships m JOIN contacts c ON c.id = m.contact_id WHERE m.list_id = $1 AND c.email = $2`,
        [listId, email],
      )
    ).rows[0];
  /** A form post as a browser sends it. */
  const submit = (listId: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${api.baseUrl}/subscribe/${listId}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'TestBrowser/1.0', ...headers }, body: new URLSearchParams(fields).toString() });

  it('sends the list’s confirmation mail with a working link; GET shows a button, only POST confirms', async () => {
    const list = await req('POST', '/v1/lists', {
      name: 'Letters',
      opt_in: 'double',
      confirm_from: 'Letters <news@letters.test>',
      confirm_subject: 'Confirm {{list.name}}, {{contact.attributes.name}}',
      confirm_text: 'Hello {{contact.attributes.name}}, click {{confirm_url}} to confirm.',
    });
    expect(list.status).toBe(201);
    const added = await req('POST', `/v1/lists/${list.body.id}/contacts`, [{ email: 'ann@reader.test', attributes: { name: 'Ann' } }]);
    expect(added.body.data[0]).toMatchObject({ status: 'unconfirmed', confirmation: 'sent' });

    const link = await confirmLink('ann@reader.test');
    const mail = sink.messages.find((m) => m.to.includes('ann@reader.test'))!.raw.toString();
    expect(mail).toMatch(/^Subject: Confirm Letters, Ann\r$/m);
    expect(mail).toMatch(/^From: Letters <news@letters\.test>\r$/m);
    expect(mail).toContain('Hello Ann, click');

    const page = await fetch(link);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post"');
    expect(html).toContain('Letters');
    expect((await membership(list.body.id, 'ann@reader.test'))!.status).toBe('unconfirmed');

    const confirmed = await fetch(link, { method: 'POST' });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('confirmed');
    expect(await membership(list.body.id, 'ann@reader.test')).toMatchObject({ status: 'subscribed', confirm_ip: '127.0.0.1', consent_method: 'confirmation', consent_ip: '127.0.0.1' });
    expect((await membership(list.body.id, 'ann@reader.test'))!.confirmed_at).toBeInstanceOf(Date);
    expect((await fetch(link, { method: 'POST' })).status).toBe(200); // twice: harmless
    expect((await req('GET', `/v1/lists/${list.body.id}`)).body.counts).toEqual({ subscribed: 1, unconfirmed: 0, unsubscribed: 0 });
  });

  it('refuses forged and expired links', async () => {
    const list = await req('POST', '/v1/lists', { name: 'Strict', opt_in: 'double', confirm_from: 'news@letters.test' });
    await req('POST', `/v1/lists/${list.body.id}/contacts`, [{ email: 'bob@reader.test' }]);
    const link = await confirmLink('bob@reader.test');
    const token = link.slice(link.lastIndexOf('/') + 1);
    const forged = token.slice(0, 5) + (token[5] === 'x' ? 'y' : 'x') + token.slice(6);
    expect((await fetch(`${api.baseUrl}/confirm/${forged}`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${api.baseUrl}/confirm/not-a-token`)).status).toBe(404);

    const contactId = (await pg.query<{ id: string }>(`SELECT id FROM contacts WHERE email = 'bob@reader.test'`)).rows[0]!.id;
    const expired = api.app.get(OptInTokens).issue(list.body.id, contactId, new Date(Date.now() - 8 * 86_400_000));
    const refused = await fetch(`${api.baseUrl}/confirm/${expired}`, { method: 'POST' });
    expect(refused.status).toBe(410);
    expect(await refused.text()).toContain('expired');
    expect((await membership(list.body.id, 'bob@reader.test'))!.status).toBe('unconfirmed');
  });

  it('the form subscribes at once on a single opt-in list, recording consent, and answers a page or JSON', async () => {
    const list = await req('POST', '/v1/lists', { name: 'Open list', description: 'Now and then', form_enabled: true });
    const form = await fetch(`${api.baseUrl}/subscribe/${list.body.id}`);
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('name="email"');
    expect(html).toContain('name="website"'); // the honeypot

    const res = await submit(list.body.id, { email: 'Carl@Reader.test', name: 'Carl', website: '' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('You are subscribed');
    const stored = (await pg.query(`SELECT c.consent_method, c.consent_ip, c.consent_user_agent, c.attributes, m.status FROM contacts c JOIN list_memberships m ON m.contact_id = c.id WHERE c.email = 'carl@reader.test'`)).rows[0];
    expect(stored).toMatchObject({ consent_method: 'form', consent_ip: '127.0.0.1', consent_user_agent: 'TestBrowser/1.0', attributes: { name: 'Carl' }, status: 'subscribed' });

    const json = await fetch(`${api.baseUrl}/subscribe/${list.body.id}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ email: 'dana@reader.test' }) });
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ status: 'subscribed' });

    // A form post cannot rewrite an existing contact's attributes.
    await submit(list.body.id, { email: 'carl@reader.test', name: 'Mallory' });
    expect((await pg.query(`SELECT attributes FROM contacts WHERE email = 'carl@reader.test'`)).rows[0].attributes).toEqual({ name: 'Carl' });

    const bad = await submit(list.body.id, { email: 'not an address' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('valid email');
  });

  it('a filled honeypot gets the same answer and stores nothing; a list without a form has none', async () => {
    const list = await req('POST', '/v1/lists', { name: 'Guarded', form_enabled: true });
    const res = await submit(list.body.id, { email: 'bot@reader.test', website: 'http://spam.example' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You are subscribed');
    expect((await pg.query(`SELECT 1 FROM contacts WHERE email = 'bot@reader.test'`)).rowCount).toBe(0);

    const closed = await req('POST', '/v1/lists', { name: 'Closed' });
    expect((await fetch(`${api.baseUrl}/subscribe/${closed.body.id}`)).status).toBe(404);
    expect((await submit(closed.body.id, { email: 'x@reader.test' })).status).toBe(404);
    expect((await pg.query(`SELECT 1 FROM contacts WHERE email = 'x@reader.test'`)).rowCount).toBe(0);
  });

  it('the form on a double opt-in list sends the confirmation and keeps the member unconfirmed', async () => {
    const list = await req('POST', '/v1/lists', { name: 'Careful', opt_in: 'double', confirm_from: 'news@letters.test', form_enabled: true });
    const res = await submit(list.body.id, { email: 'erin@reader.test' });
    expect(await res.text()).toContain('Please follow the link');
    expect((await membership(list.body.id, 'erin@reader.test'))!.status).toBe('unconfirmed');
    const link = await confirmLink('erin@reader.test');
    expect((await fetch(link, { method: 'POST' })).status).toBe(200);
    expect((await membership(list.body.id, 'erin@reader.test'))!.status).toBe('subscribed');
  });

  it('a hard bounce during delivery makes the contact bounced', async () => {
    const [contact] = (await req('POST', '/v1/contacts', [{ email: 'bouncy@reader.test' }])).body.data;
    const sent = await req('POST', '/v1/messages', { from: 'news@letters.test', to: 'bouncy@reader.test', subject: 'Hi', text: 'Hello' });
    expect(sent.status).toBe(202);
    expect(await until(async () => (await req('GET', `/v1/contacts/${contact.id}`)).body.status === 'bounced', { timeoutMs: 60_000 })).toBe(true);
  });

  it('limits form posts per client IP with 429', async () => {
    const list = await req('POST', '/v1/lists', { name: 'Busy', form_enabled: true });
    // SUBSCRIBE_RATE_LIMIT is 8 per hour for this address; the posts above used some of them.
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await submit(list.body.id, { email: `busy${i}@reader.test` })).status);
    expect(statuses).toContain(429);
    const refused = await submit(list.body.id, { email: 'late@reader.test' });
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('try again');
    expect((await pg.query(`SELECT 1 FROM contacts WHERE email = 'late@reader.test'`)).rowCount).toBe(0);
  });
});
