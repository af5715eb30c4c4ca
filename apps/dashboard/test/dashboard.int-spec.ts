import { Client } from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserRepository } from '@mailroom/db';
import { createSendingAccount, SmtpSink, TestDnsServer, until, type SendingAccount } from '@mailroom/testing';
import { createUser } from '@mailroom/users';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';
import { FAILURE_DIR, containsText, hasChromium, hasText, launchBrowser, newContext, screenshot, signIn } from './support/browser';

const OWNER = { email: 'owner@shop.test', password: 'owner password 1' };
const VIEWER = { email: 'viewer@shop.test', password: 'viewer password 1' };
const OTHER = { email: 'boss@other.test', password: 'other password 1' };

/**
 * The dashboard in real headless Chromium against the real API and a worker (one process, as
 * `npm start` runs them), a DNS server and an SMTP sink. Elements are found by role and label,
 * as a person finds them; a failing test leaves a screenshot in dist/test-results/dashboard.
 */
describe.skipIf(!hasChromium)('dashboard in Chromium', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let pg: Client;
  let shop: SendingAccount;
  let other: SendingAccount;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let messageId: string;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    sink = await SmtpSink.start({ host: '127.0.0.52' });
    dns.add({ type: 'MX', name: 'inbox.test', exchange: 'mx.inbox.test', priority: 10 });
    dns.add({ type: 'A', name: 'mx.inbox.test', address: '127.0.0.52' });
    api = await startTestApi({ DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(sink.port) }, { worker: true });
    shop = await createSendingAccount(api, dns, 'shop.test');
    other = await createSendingAccount(api, dns, 'other.test');
    const users = api.app.get(UserRepository);
    const owner = await createUser(users, OWNER);
    await users.setMembership(shop.accountId, owner.user.id, 'owner');
    const viewer = await createUser(users, VIEWER);
    await users.setMembership(shop.accountId, viewer.user.id, 'viewer');
    const boss = await createUser(users, OTHER);
    await users.setMembership(other.accountId, boss.user.id, 'owner');
    pg = new Client({ connectionString: api.db.url });
    await pg.connect();
    const sent = await api.request('POST', '/v1/messages', {
      key: shop.key,
      body: { from: 'Shop <orders@shop.test>', to: 'ann@inbox.test', subject: 'Your order 1001', text: 'Thanks!', tags: ['orders'] },
    });
    messageId = sent.body.id;
    browser = await launchBrowser();
  });

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail' && page) {
      const path = await screenshot(page, test.task.name.replace(/[^\w]+/g, '-'), FAILURE_DIR).catch(() => null);
      if (path) console.error(`screenshot of the failure: ${path}`);
    }
    await context?.close();
  });

  afterAll(async () => {
    await browser?.close();
    await pg?.end();
    await api?.close();
    await sink?.close();
    await dns?.close();
  });

  async function open(viewport?: { width: number; height: number }): Promise<Page> {
    context = await newContext(browser, api.baseUrl, viewport);
    page = await context.newPage();
    return page;
  }

  it('refuses a wrong password and says so', async () => {
    await open();
    await page.goto('/');
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill('not the password');
    await screenshot(page, 'sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await hasText(page.getByRole('alert'), 'Wrong email or password.');
    expect(await page.getByLabel('Account').count()).toBe(0);
  });

  it('signs in, shows the overview, and keeps the session across a reload', async () => {
    await open();
    await signIn(page, OWNER.email, OWNER.password);
    await hasText(page.getByRole('heading', { level: 1 }), 'Overview');
    await page.getByRole('link', { name: 'Your order 1001' }).waitFor();
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'mailroom_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    await page.reload();
    await hasText(page.getByRole('heading', { level: 1 }), 'Overview');
    await screenshot(page, 'overview');
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate<string | null>('localStorage.getItem("mailroom.session")')).toBeNull();
    const after = await page.evaluate<number>('fetch("/v1/auth/session").then((r) => r.status)');
    expect(after).toBe(401);
  });

  it('adds a domain and copies its DNS records', async () => {
    await open();
    await signIn(page, OWNER.email, OWNER.password);
    await page.getByRole('link', { name: 'Domains' }).click();
    await page.getByLabel('Domain name').fill('mail.shop.test');
    await page.getByRole('button', { name: 'Add domain' }).click();
    await hasText(page.getByRole('heading', { level: 1 }), 'mail.shop.test');
    const domain = (await api.request('GET', '/v1/domains', { key: shop.key })).body.find((d: { name: string }) => d.name === 'mail.shop.test');
    const dkim = domain.dns.find((r: { purpose: string }) => r.purpose === 'dkim');
    await page.getByRole('button', { name: 'Copy dkim record value' }).first().click();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(dkim.value);
    await page.getByRole('button', { name: 'Copy ownership record name' }).click();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(`_mailroom.mail.shop.test`);
    await page.getByRole('button', { name: 'Verify DNS records' }).click();
    await containsText(page.getByRole('status').filter({ hasText: 'Checked just now' }), '0 of 6 records found');
    await screenshot(page, 'domain');
    await page.getByRole('link', { name: 'All domains' }).click();
    await containsText(page.getByRole('row', { name: /mail\.shop\.test/ }), 'pending');
    await screenshot(page, 'domains');
  });

  it('finds a message and opens its timeline with the receiving server\'s reply', async () => {
    expect(await until(async () => (await api.request('GET', `/v1/messages/${messageId}`, { key: shop.key })).body.status === 'delivered', { timeoutMs: 60_000 })).toBe(true);
    await open();
    await signIn(page, OWNER.email, OWNER.password);
    await page.getByRole('link', { name: 'Messages' }).click();
    await page.getByLabel('Recipient').fill('ann@inbox.test');
    await page.getByRole('button', { name: 'Search' }).click();
    await screenshot(page, 'messages');
    await page.getByRole('link', { name: 'Your order 1001' }).click();
    await hasText(page.getByRole('heading', { level: 1 }), 'Your order 1001');
    const row = page.getByRole('row', { name: /ann@inbox\.test/ });
    await containsText(row, 'delivered');
    await containsText(row, '250');
    // The reply as the server sent it, once: it already begins with its codes.
    const sent = (await api.request('GET', `/v1/messages/${messageId}`, { key: shop.key })).body.recipients[0].last_response;
    expect(await row.locator('code').textContent()).toBe(sent);
    const timeline = page.getByRole('list', { name: 'Events, oldest first' });
    await containsText(timeline.getByRole('listitem').first(), 'queued');
    await containsText(timeline, 'delivered');
    await screenshot(page, 'message');
  });

  it('works on a phone: the menu opens and leads to a page', async () => {
    await open({ width: 390, height: 844 });
    await signIn(page, OWNER.email, OWNER.password);
    expect(await page.getByRole('navigation', { name: 'Main', includeHidden: true }).isVisible()).toBe(false);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await page.getByRole('button', { name: 'Menu' }).click();
    await nav.getByRole('link', { name: 'Suppressions' }).click();
    await hasText(page.getByRole('heading', { level: 1 }), 'Suppressions');
    await screenshot(page, 'phone-suppressions');
  });

  it('creates an API key and shows it once', async () => {
    await open();
    await signIn(page, OWNER.email, OWNER.password);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Key name').fill('dashboard test');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = await page.locator('.secret code').innerText();
    expect(shown).toMatch(/^mr_live_/);
    const check = await fetch(`${api.baseUrl}/v1/domains`, { headers: { authorization: `Bearer ${shown}` } });
    expect(check.status).toBe(200);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('.secret').waitFor({ state: 'detached' });
    await containsText(page.getByRole('row', { name: /dashboard test/ }), shown.slice(0, 12));
    await screenshot(page, 'api-keys');
    for (const [link, name] of [['SMTP credentials', 'smtp-credentials'], ['Mailboxes', 'mailboxes'], ['Suppressions', 'suppressions'], ['Team', 'team']] as const) {
      await page.getByRole('link', { name: link }).click();
      await hasText(page.getByRole('heading', { level: 1 }), link);
      await screenshot(page, name);
    }
  });

  it('gives a viewer no way to change anything, and the API refuses if forced', async () => {
    await open();
    await signIn(page, VIEWER.email, VIEWER.password);
    await page.getByRole('link', { name: 'Domains' }).click();
    await page.getByRole('link', { name: 'shop.test', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Add domain' }).count()).toBe(0);
    await page.getByRole('link', { name: 'shop.test', exact: true }).click();
    await page.getByRole('heading', { name: 'shop.test', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Verify DNS records' }).count()).toBe(0);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    expect(await page.getByRole('button', { name: 'Create key' }).count()).toBe(0);
    const forced = await page.evaluate(async (accountId) => {
      const session = (await (await fetch('/v1/auth/session')).json()) as { csrf_token: string };
      const res = await fetch('/v1/api-keys', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf_token, 'x-mailroom-account': accountId }, body: '{}' });
      return { status: res.status, body: await res.json() };
    }, shop.accountId);
    expect(forced).toEqual({ status: 403, body: { error: { code: 'read_only', message: expect.any(String) } } });
  });

  it('shows one account\'s user nothing of another account', async () => {
    await open();
    await signIn(page, OTHER.email, OTHER.password);
    const accounts = await page.getByLabel('Account').locator('option').allTextContents();
    expect(accounts).toEqual(['owner of other.test (owner)']);
    await page.goto(`/messages/${messageId}`);
    await hasText(page.getByRole('alert'), 'message not found');
    await page.getByRole('link', { name: 'Messages' }).click();
    await page.getByRole('heading', { name: 'Messages' }).waitFor();
    await page.getByText('No message matches.').waitFor();
    const forced = await page.evaluate(async (accountId) => (await fetch('/v1/domains', { headers: { 'x-mailroom-account': accountId } })).status, shop.accountId);
    expect(forced).toBe(403);
  });

  it('refuses a signed-in write without the CSRF token', async () => {
    await open();
    await signIn(page, OWNER.email, OWNER.password);
    const refused = await page.evaluate(async (accountId) => {
      const res = await fetch('/v1/api-keys', { method: 'POST', headers: { 'content-type': 'application/json', 'x-mailroom-account': accountId }, body: '{}' });
      return { status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code };
    }, shop.accountId);
    expect(refused).toEqual({ status: 403, code: 'csrf_failed' });
    const keys = await api.request('GET', '/v1/api-keys', { key: shop.key });
    expect(keys.body.filter((k: { name: string }) => k.name === '')).toHaveLength(1);
  });
});
