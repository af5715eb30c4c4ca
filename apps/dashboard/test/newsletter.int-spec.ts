import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserRepository } from '@mailroom/db';
import { createSendingAccount, SmtpSink, TestDnsServer, until, type SendingAccount } from '@mailroom/testing';
import { createUser } from '@mailroom/users';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';
import { FAILURE_DIR, containsText, hasChromium, hasText, launchBrowser, newContext, screenshot, signIn } from './support/browser';

const OWNER = { email: 'owner@news.test', password: 'owner password 1' };

/**
 * The newsletter half of the dashboard in headless Chromium, against the API and a worker in one
 * process, a DNS server and an SMTP sink: import a CSV onto a list (progress, counts, rejected
 * rows), build a campaign with its preview, send it and watch it finish, then its results, the
 * overview's charts, bounces and webhooks.
 */
describe.skipIf(!hasChromium)('newsletters in the dashboard', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let sender: SendingAccount;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    sink = await SmtpSink.start({ host: '127.0.0.53' });
    dns.add({ type: 'MX', name: 'inbox.test', exchange: 'mx.inbox.test', priority: 10 });
    dns.add({ type: 'A', name: 'mx.inbox.test', address: '127.0.0.53' });
    // Where the webhook endpoint would be: nothing listens, so its deliveries fail and wait to retry.
    dns.add({ type: 'A', name: 'hooks.news.test', address: '127.0.0.54' });
    api = await startTestApi(
      { DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(sink.port), PUBLIC_URL: 'https://mail.news.test', WEBHOOK_ALLOW_PRIVATE: 'true' },
      { worker: true },
    );
    sender = await createSendingAccount(api, dns, 'news.test');
    const users = api.app.get(UserRepository);
    const owner = await createUser(users, OWNER);
    await users.setMembership(sender.accountId, owner.user.id, 'owner');
    browser = await launchBrowser();
    context = await newContext(browser, api.baseUrl);
    page = await context.newPage();
    await signIn(page, OWNER.email, OWNER.password);
  });

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail') {
      const path = await screenshot(page, `newsletter-${test.task.name.replace(/[^\w]+/g, '-')}`, FAILURE_DIR).catch(() => null);
      if (path) console.error(`screenshot of the failure: ${path}`);
    }
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await api?.close();
    await sink?.close();
    await dns?.close();
  });

  it('creates a list and imports a CSV onto it, with the rejected rows', async () => {
    await page.getByRole('link', { name: 'Lists & contacts' }).click();
    await page.getByLabel('List name').fill('Customers');
    await page.getByRole('button', { name: 'Create list' }).click();
    await page.getByRole('row', { name: /Customers/ }).waitFor();
    const csv = ['email,name', ...Array.from({ length: 30 }, (_, i) => `reader${i}@inbox.test,Reader ${i}`), 'not an address,Nobody', 'reader3@inbox.test,Twice'].join('\n');
    const file = join(mkdtempSync(join(tmpdir(), 'csv-')), 'customers.csv');
    writeFileSync(file, `${csv}\n`);
    await page.getByLabel('Import onto list').selectOption({ label: 'Customers' });
    await page.getByLabel('CSV file').setInputFiles(file);
    await page.getByRole('button', { name: 'Import' }).click();
    const result = page.getByRole('status').filter({ hasText: 'rows read' });
    await containsText(result, '32 rows read');
    await containsText(result, '30 added');
    await containsText(page.getByRole('table', { name: /Rejected rows/ }), 'not an address');
    await containsText(page.getByRole('row', { name: /Customers/ }), '30');
    await screenshot(page, 'lists');
  });

  it('finds a contact and opens its page', async () => {
    await page.getByRole('link', { name: 'Search contacts' }).click();
    await page.getByLabel('Address').fill('reader7@inbox.test');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'reader7@inbox.test' }).click();
    await hasText(page.getByRole('heading', { level: 1 }), 'reader7@inbox.test');
    await containsText(page.locator('.checks'), 'Customers');
    await containsText(page.locator('.facts'), 'Reader 7');
  });

  it('builds a campaign with a live preview, sends it and watches it finish', async () => {
    await page.getByRole('link', { name: 'Campaigns' }).click();
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByLabel('Name').fill('November news');
    await page.getByLabel('From', { exact: true }).fill('News <news@news.test>');
    await page.getByLabel('Subject').fill('Hello {{contact.attributes.name}}');
    await page.getByRole('checkbox', { name: /^Customers/ }).check();
    await containsText(page.getByRole('status').filter({ hasText: 'Audience' }), 'up to 30 subscribers');
    await page.getByLabel('HTML', { exact: true }).fill('<h1>November</h1><p>Hi {{contact.attributes.name}}</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>');
    const preview = page.frameLocator('iframe[title="Preview of the HTML"]');
    await hasText(preview.locator('h1'), 'November');
    await page.getByRole('button', { name: 'Phone' }).click();
    expect(await page.locator('iframe.preview-frame').evaluate((frame) => frame.getBoundingClientRect().width)).toBeLessThanOrEqual(375);
    await screenshot(page, 'campaign-editor');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await hasText(page.getByRole('heading', { level: 1 }), 'November news');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Send now' }).click();
    await containsText(page.locator('.facts'), 'sent', 120_000);
    await containsText(page.getByRole('status').filter({ hasText: 'dispatched' }), '30 of 30 recipients dispatched');
    expect(await until(() => sink.messages.filter((m) => m.raw.toString().includes('Subject: Hello Reader')).length === 30, { timeoutMs: 60_000 })).toBe(true);
    await page.reload();
    await containsText(page.getByRole('list').filter({ hasText: 'delivered' }).first(), '30 delivered', 60_000);
    await screenshot(page, 'campaign');
    await page.getByRole('link', { name: 'All campaigns' }).click();
    await containsText(page.getByRole('row', { name: /November news/ }), 'sent');
    await screenshot(page, 'campaigns');
  });

  it('charts the sending on the overview and shows bounces', async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByLabel('Period', { exact: true }).selectOption('24h');
    await containsText(page.getByRole('list', { name: 'Totals for the period' }), 'Delivered');
    await page.locator('.chart canvas').first().waitFor();
    expect(await page.locator('.chart canvas').count()).toBe(3);
    await screenshot(page, 'overview-charts');
    await page.getByRole('link', { name: 'Bounces' }).click();
    await page.getByRole('heading', { name: 'Bounces over time' }).waitFor();
    await page.locator('.chart canvas').first().waitFor();
    await screenshot(page, 'bounces');
  });

  it('adds a webhook endpoint, shows its secret once, and sends it a test', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByLabel('Endpoint URL').fill('https://hooks.news.test/mailroom');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    expect(await page.locator('.secret code').innerText()).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('link', { name: 'https://hooks.news.test/mailroom' }).click();
    await page.getByRole('button', { name: 'Send test event' }).click();
    await containsText(page.getByRole('status').filter({ hasText: 'Test event' }), 'Test event queued');
    await page.getByRole('row', { name: /webhook\.test/ }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'webhook');
  });
});
