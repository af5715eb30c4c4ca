import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailStore } from '@mailroom/mailstore';
import { Metrics } from '@mailroom/metrics';
import { until } from '@mailroom/testing';
import { createTestMailbox, sampleMessage, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { ImapServer } from '../src/imap-server';
import { EXTERNAL_IPV4, RawClient, startImap, startImapWithMailbox, type ImapHarness } from './imap-harness';

describe('IMAP extensions and limits', () => {
  let imap: ImapHarness;
  let box: TestMailbox;
  let store: MailStore;

  beforeAll(async () => {
    imap = await startImap({ maxConnectionsPerIp: 6, authFailuresPerIp: 3 });
    box = await createTestMailbox(imap.app);
    store = imap.app.get(MailStore);
    for (let i = 0; i < 4; i++) await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: `s${i}` }) });
  });
  afterAll(() => imap?.close());

  async function login(): Promise<RawClient> {
    const client = await RawClient.connect(imap.port);
    await client.command(`LOGIN ${box.address} ${box.password}`);
    return client;
  }

  it('CONDSTORE: MODSEQ in FETCH, CHANGEDSINCE, UNCHANGEDSINCE with MODIFIED, SEARCH MODSEQ', async () => {
    const client = await login();
    const select = await client.command('SELECT INBOX (CONDSTORE)');
    const highest = Number(/HIGHESTMODSEQ (\d+)/.exec(select)![1]);
    expect(await client.command('FETCH 1 (FLAGS)')).toMatch(/\* 1 FETCH \(FLAGS \(\\Recent\) MODSEQ \(\d+\)\)/);
    const stored = await client.command('STORE 2 +FLAGS (\\Flagged)');
    const modseq = Number(/MODSEQ \((\d+)\)/.exec(stored)![1]);
    expect(modseq).toBeGreaterThan(highest);
    expect(await client.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${highest})`)).toMatch(/^\* 2 FETCH \(UID 2 FLAGS \(\\Flagged \\Recent\) MODSEQ \(\d+\)\)\r\nt\d+ OK/m);
    expect(await client.command(`STORE 1:2 (UNCHANGEDSINCE ${highest}) +FLAGS (\\Seen)`)).toMatch(/OK \[MODIFIED 2\]/);
    expect(await client.command(`SEARCH MODSEQ ${modseq}`)).toMatch(/\* SEARCH 1 2 \(MODSEQ \d+\)/);
    expect(await client.command('STATUS INBOX (HIGHESTMODSEQ)')).toMatch(/HIGHESTMODSEQ \d+/);
    client.close();
  });

  it('QRESYNC: VANISHED instead of EXPUNGE, and a resync on SELECT', async () => {
    const mailbox = await createTestMailbox(imap.app);
    for (let i = 0; i < 5; i++) await store.append({ mailboxId: mailbox.mailboxId, folder: 'INBOX', raw: sampleMessage() });
    const client = await RawClient.connect(imap.port);
    await client.command(`LOGIN ${mailbox.address} ${mailbox.password}`);
    expect(await client.command('ENABLE QRESYNC')).toContain('* ENABLED QRESYNC');
    const first = await client.command('SELECT INBOX');
    const validity = /UIDVALIDITY (\d+)/.exec(first)![1];
    const modseq = /HIGHESTMODSEQ (\d+)/.exec(first)![1];
    await client.command('STORE 2 +FLAGS (\\Deleted \\Seen)');
    await client.command('STORE 4 +FLAGS (\\Deleted)');
    expect(await client.command('EXPUNGE')).toMatch(/\* VANISHED 2,4\r\n/);
    await client.command('STORE 1 +FLAGS (\\Answered)');
    const resync = await client.command(`SELECT INBOX (QRESYNC (${validity} ${modseq} 1:5))`);
    expect(resync).toContain('* OK [CLOSED]');
    expect(resync).toContain('* VANISHED (EARLIER) 2,4');
    expect(resync).toMatch(/\* 1 FETCH \(UID 1 FLAGS \(\\Answered\) MODSEQ \(\d+\)\)/);
    expect(await client.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq} VANISHED)`)).toMatch(/^\* VANISHED \(EARLIER\) 2,4\r\n\* 1 FETCH \(UID 1 FLAGS \(\\Answered\) MODSEQ/m);
    client.close();
  });

  it('ID, ENABLE, UNSELECT, CLOSE expunging, EXAMINE read-only', async () => {
    const mailbox = await createTestMailbox(imap.app);
    for (let i = 0; i < 2; i++) await store.append({ mailboxId: mailbox.mailboxId, folder: 'INBOX', raw: sampleMessage() });
    const client = await RawClient.connect(imap.port);
    expect(await client.command('ID ("name" "test" "version" "1")')).toContain('* ID ("name" "Mailroom"');
    await client.command(`LOGIN ${mailbox.address} ${mailbox.password}`);
    expect(await client.command('EXAMINE INBOX')).toMatch(/\[READ-ONLY\]/);
    expect(await client.command('STORE 1 +FLAGS (\\Deleted)')).toMatch(/NO \[READ-ONLY\]/);
    expect(await client.command('FETCH 1 (BODY[TEXT])')).not.toContain('\\Seen');
    await client.command('SELECT INBOX');
    expect(await client.command('FETCH 1 (BODY[TEXT])')).toMatch(/FLAGS \(\\Seen \\Recent\)/);
    await client.command('STORE 1 +FLAGS (\\Deleted)');
    expect(await client.command('CLOSE')).not.toContain('EXPUNGE');
    expect(await client.command('STATUS INBOX (MESSAGES)')).toContain('(MESSAGES 1)');
    expect(await client.command('FETCH 1 (FLAGS)')).toMatch(/BAD/);
    client.close();
  });

  it('counts connections, commands and logins for /metrics', async () => {
    const client = await login();
    await client.command('NOOP');
    const text = await imap.app.get(Metrics).registry.metrics();
    expect(text).toMatch(/mailroom_imap_logins_total\{result="ok"\} [1-9]/);
    expect(text).toMatch(/mailroom_imap_commands_total\{command="NOOP",status="OK"\} [1-9]/);
    expect(text).toMatch(/mailroom_imap_connections [1-9]/);
    client.close();
  });

  it('refuses connections over the per-IP limit', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => RawClient.connect(imap.port)));
    const extra = connect(imap.port, '127.0.0.1');
    const greeting = await new Promise<string>((resolve) => extra.once('data', (d) => resolve(d.toString())));
    expect(greeting).toBe('* BYE Too many connections\r\n');
    extra.destroy();
    for (const c of clients) c.close();
    const server = imap.app.get(ImapServer);
    await until(() => server.connections === 0);
    expect(server.connections).toBe(0);
  });

  // Last in this block: afterwards 127.0.0.1 may not log in here any more.
  it('rate-limits failed logins per client IP, whatever the user names', async () => {
    for (const name of ['nobody1@x.test', 'nobody2@x.test', 'nobody3@x.test']) {
      const client = await RawClient.connect(imap.port);
      expect(await client.command(`LOGIN ${name} wrong-password`)).toMatch(/NO \[AUTHENTICATIONFAILED\]/);
      client.close();
    }
    const client = await RawClient.connect(imap.port);
    expect(await client.command(`LOGIN ${box.address} ${box.password}`)).toMatch(/NO \[UNAVAILABLE\]/);
    client.close();
  });
});

const external = EXTERNAL_IPV4;

describe.skipIf(!external)('IMAP on a non-loopback address', () => {
  let imap: ImapHarness;
  let box: TestMailbox;
  beforeAll(async () => {
    ({ imap, box } = await startImapWithMailbox([], {}, { BIND_ADDRESS: '0.0.0.0' }));
  });
  afterAll(() => imap?.close());

  it('announces LOGINDISABLED and refuses LOGIN until STARTTLS', async () => {
    const client = await RawClient.connect(imap.port, { host: external! });
    expect(await client.command('CAPABILITY')).toMatch(/STARTTLS LOGINDISABLED/);
    expect(await client.command(`LOGIN ${box.address} ${box.password}`)).toMatch(/NO \[PRIVACYREQUIRED\]/);
    client.send('s1 STARTTLS\r\n');
    await client.waitFor(/^s1 OK/m);
    await client.startTls();
    expect(await client.command('CAPABILITY')).toMatch(/AUTH=PLAIN/);
    expect(await client.command(`LOGIN ${box.address} ${box.password}`)).toMatch(/OK/);
    client.close();
  });

  it('says BYE to connected clients when the application shuts down', async () => {
    const client = await RawClient.connect(imap.port, { host: external! });
    const bye = client.waitFor(/\* BYE Server shutting down/);
    await imap.app.close();
    await expect(bye).resolves.toBeTruthy();
  });
});
