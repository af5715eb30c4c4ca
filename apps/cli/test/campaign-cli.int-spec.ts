import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendingAccount, runBuilt, startDestination, type SendingAccount, type SmtpSink, type TestDnsServer } from '@mailroom/testing';
import { seedContacts, seedList } from '../../mailroom/test/support/campaign-fixture';
import { startApiDeliveringTo, type ApiWithDns, type TestApi } from '../../mailroom/test/support/test-api';

const CLI = 'dist/apps/cli/src/main.js';

/** The operator sends a campaign and follows it from the command line, as from a shell. */
describe('CLI campaign:send and campaign:status', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let pg: Client;
  let sender: SendingAccount;
  const cli = (...args: string[]) => runBuilt(CLI, args, { DATABASE_URL: api.db.url, MAIL_HOSTNAME: 'mx.mailroom.test' });

  let setup: ApiWithDns;

  beforeAll(async () => {
    const destination = await startDestination('cli-inbox.test', '127.0.0.43');
    sink = destination.sink;
    ({ api, dns, pg } = setup = await startApiDeliveringTo(destination));
    sender = await createSendingAccount(api, dns, 'cli-news.test');
  });

  afterAll(async () => {
    await setup?.close();
  });

  it('sends a campaign, prints its progress, and --watch follows it until it is sent', async () => {
    const listId = await seedList(pg, sender.accountId, 'cli');
    await seedContacts(pg, sender.accountId, [0, 1, 2].map((i) => ({ email: `c${i}@cli-inbox.test` })), listId);
    const created = await api.request('POST', '/v1/campaigns', {
      key: sender.key,
      body: { name: 'From the shell', from: 'news@cli-news.test', subject: 'Hello', html: '<p>Hi</p><a href="{{unsubscribe_url}}">unsubscribe</a>', list_ids: [listId] },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const draft = await cli('campaign:status', id);
    expect(draft.code, draft.stderr).toBe(0);
    expect(draft.stdout).toContain(`From the shell (${id}): draft`);

    const sent = await cli('campaign:send', id);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toBe(`From the shell (${id}): sending to 3 recipients (audience frozen); follow it with campaign:status ${id} --watch\n`);

    const watched = await cli('campaign:status', id, '--watch');
    expect(watched.code, watched.stderr).toBe(0);
    const last = watched.stdout.trim().split('\n').slice(-4);
    expect(last[0]).toBe(`From the shell (${id}): sent`);
    expect(last[1]).toMatch(/^ {2}progress {2}3 of 3 handed to delivery \(0 pending\)$/);
    expect(last[2]).toMatch(/^ {2}results {3}delivered 3 {2}in flight 0 /);

    const json = JSON.parse((await cli('campaign:status', id, '--json')).stdout);
    expect(json).toMatchObject({ id, status: 'sent', progress: { total: 3 }, results: { delivered: 3 } });
    const again = await cli('campaign:send', id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('only a draft or scheduled campaign can be sent');
    const unknown = await cli('campaign:status', '00000000-0000-4000-8000-000000000000');
    expect(unknown.stderr).toContain('campaign not found');
  }, 300_000); // seven runs of the built CLI: each starts Nest and Prisma, slow on a busy machine
});
