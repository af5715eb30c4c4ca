import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailStore } from '@mailroom/mailstore';
import { createTestMailbox, sampleMessage, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { RawClient, startImap, type ImapHarness } from './imap-harness';

const NESTED = [
  'From: "Ann Example" <ann@example.com>',
  'To: Bob <bob@example.net>, team: c@example.org, d@example.org;',
  'Cc: carol@example.com',
  'Subject: =?utf-8?q?R=C3=A9sum=C3=A9?= attached',
  'Date: Tue, 24 Nov 2026 09:30:00 +0100',
  'Message-ID: <nested-1@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="outer"',
  '',
  '--outer',
  'Content-Type: multipart/alternative; boundary="inner"',
  '',
  '--inner',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'plain body with needle',
  '--inner',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>html body</p>',
  '--inner--',
  '--outer',
  'Content-Type: message/rfc822',
  '',
  'From: inner@example.com',
  'Subject: inner message',
  '',
  'inner text',
  '--outer--',
  '',
].join('\r\n');

describe('IMAP sessions over a raw socket', () => {
  let imap: ImapHarness;
  let box: TestMailbox;
  let store: MailStore;

  beforeAll(async () => {
    imap = await startImap({ authFailuresPerUser: 3, maxBadCommands: 8 });
    box = await createTestMailbox(imap.app);
    store = imap.app.get(MailStore);
    await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'first', from: 'alice@example.com' }), internalDate: new Date('2026-11-20T10:00:00Z') });
    await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: Buffer.from(NESTED), flags: ['\\Seen'], internalDate: new Date('2026-11-24T08:30:00Z') });
    await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'third', body: 'x'.repeat(5000) }), flags: ['\\Flagged', 'Work'] });
  });
  afterAll(() => imap?.close());

  async function login(): Promise<RawClient> {
    const client = await RawClient.connect(imap.port);
    expect(await client.command(`LOGIN ${box.address} "${box.password}"`)).toMatch(/OK \[CAPABILITY [^\]]*IMAP4rev1/);
    return client;
  }

  it('greets with capabilities and offers STARTTLS and AUTH=PLAIN on loopback', async () => {
    const client = await RawClient.connect(imap.port);
    const caps = await client.command('CAPABILITY');
    expect(caps).toMatch(/^\* CAPABILITY IMAP4rev1 .*LITERAL\+.*IDLE.*UIDPLUS.*MOVE.*STARTTLS AUTH=PLAIN\r\n/m);
    expect(await client.command('LOGOUT')).toMatch(/^\* BYE .*\r\nt2 OK/m);
    client.close();
  });

  it('keeps a reply on one line when it quotes a folder name holding CR LF', async () => {
    const client = await login();
    const reply = await client.command('SELECT {21+}\r\nNope\r\n* OK [ALERT] hi');
    expect(reply).toMatch(/^t\d+ NO /m);
    expect(reply).not.toMatch(/^\* OK \[ALERT\]/m);
    client.close();
  });

  it('selects INBOX with the RFC 3501 untagged data and fetches ENVELOPE and BODYSTRUCTURE', async () => {
    const client = await login();
    const select = await client.command('SELECT INBOX');
    expect(select).toContain('* 3 EXISTS\r\n');
    expect(select).toContain('* 3 RECENT\r\n');
    expect(select).toMatch(/\* FLAGS \(\\Answered \\Flagged \\Deleted \\Seen \\Draft Work\)/);
    expect(select).toContain('* OK [UNSEEN 1]');
    expect(select).toMatch(/\* OK \[UIDVALIDITY \d+\]/);
    expect(select).toContain('* OK [UIDNEXT 4]');
    expect(select).toMatch(/OK \[READ-WRITE\] SELECT completed/);

    const fetched = await client.command('FETCH 2 (UID FLAGS ENVELOPE BODYSTRUCTURE RFC822.SIZE INTERNALDATE)');
    expect(fetched).toContain('* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent) ENVELOPE ("Tue, 24 Nov 2026 09:30:00 +0100" "=?utf-8?q?R=C3=A9sum=C3=A9?= attached" (("Ann Example" NIL "ann" "example.com"))');
    expect(fetched).toContain('(NIL NIL "team" NIL)(NIL NIL "c" "example.org")(NIL NIL "d" "example.org")(NIL NIL NIL NIL)');
    expect(fetched).toContain(
      'BODYSTRUCTURE ((("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 22 0 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "7bit" 16 0 NIL NIL NIL NIL) "alternative" ("boundary" "inner") NIL NIL NIL)' +
        '("message" "rfc822" NIL NIL NIL "7bit" 61 (NIL "inner message" ((NIL NIL "inner" "example.com")) ((NIL NIL "inner" "example.com")) ((NIL NIL "inner" "example.com")) NIL NIL NIL NIL NIL) ' +
        '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) "mixed" ("boundary" "outer") NIL NIL NIL)',
    );
    expect(fetched).toContain('INTERNALDATE "24-Nov-2026 08:30:00 +0000"');
    expect(fetched).toMatch(/RFC822\.SIZE \d+/);
    client.close();
  });

  it('fetches body sections by part path, partial ranges and header fields', async () => {
    const client = await login();
    await client.command('EXAMINE INBOX');
    const parts = await client.command('UID FETCH 2 (BODY.PEEK[1.1] BODY.PEEK[1.2.MIME] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BODY.PEEK[HEADER.FIELDS (Subject CC)] BODY.PEEK[]<0.4>)');
    expect(parts).toContain('BODY[1.1] {22}\r\nplain body with needle BODY[1.2.MIME]');
    expect(parts).toContain('BODY[1.2.MIME] {42}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n');
    expect(parts).toContain('BODY[2.HEADER] {51}\r\nFrom: inner@example.com\r\nSubject: inner message\r\n\r\n');
    expect(parts).toContain('BODY[2.TEXT] {10}\r\ninner text');
    expect(parts).toContain('BODY[HEADER.FIELDS (SUBJECT CC)] {73}\r\nCc: carol@example.com\r\nSubject: =?utf-8?q?R=C3=A9sum=C3=A9?= attached\r\n\r\n');
    expect(parts).toContain('BODY[]<0> {4}\r\nFrom');
    expect(parts).not.toContain('\\Seen');
    client.close();
  });

  it('searches with the full grammar and by UID', async () => {
    const client = await login();
    await client.command('SELECT INBOX');
    expect(await client.command('SEARCH ALL')).toContain('* SEARCH 1 2 3\r\n');
    expect(await client.command('SEARCH UNSEEN')).toContain('* SEARCH 1 3\r\n');
    expect(await client.command('SEARCH OR FLAGGED SEEN')).toContain('* SEARCH 2 3\r\n');
    expect(await client.command('SEARCH NOT (FROM alice)')).toContain('* SEARCH 2 3\r\n');
    expect(await client.command('SEARCH BODY needle')).toContain('* SEARCH 2\r\n');
    expect(await client.command('SEARCH TEXT "carol@"')).toContain('* SEARCH 2\r\n');
    expect(await client.command('SEARCH HEADER Message-ID nested-1')).toContain('* SEARCH 2\r\n');
    expect(await client.command('SEARCH SUBJECT résumé')).toContain('* SEARCH 2\r\n');
    expect(await client.command('SEARCH LARGER 4000')).toContain('* SEARCH 3\r\n');
    expect(await client.command('SEARCH SINCE 21-Nov-2026 BEFORE 1-Jan-2030')).toMatch(/\* SEARCH 2 3\r\n/);
    expect(await client.command('SEARCH ON 20-Nov-2026')).toContain('* SEARCH 1\r\n');
    expect(await client.command('SEARCH KEYWORD Work')).toContain('* SEARCH 3\r\n');
    expect(await client.command('UID SEARCH 2:* UNFLAGGED')).toContain('* SEARCH 2\r\n');
    expect(await client.command(`SEARCH CHARSET UTF-8 SUBJECT {${Buffer.byteLength('résumé')}+}\r\nrésumé`)).toContain('* SEARCH 2\r\n');
    expect(await client.command('SEARCH CHARSET KOI8-R ALL')).toMatch(/NO \[BADCHARSET/);
    expect(await client.command('SEARCH FOO')).toMatch(/t\d+ BAD/);
    client.close();
  });

  it('stores flags, reports them, expunges, and tells other sessions', async () => {
    const mailbox = await createTestMailbox(imap.app);
    for (let i = 0; i < 4; i++) await store.append({ mailboxId: mailbox.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: `m${i}` }) });
    const a = await RawClient.connect(imap.port);
    const b = await RawClient.connect(imap.port);
    await a.command(`LOGIN ${mailbox.address} ${mailbox.password}`);
    await b.command(`LOGIN ${mailbox.address} ${mailbox.password}`);
    await a.command('SELECT INBOX');
    await b.command('SELECT INBOX');
    expect(await a.command('STORE 1:2 +FLAGS (\\Deleted)')).toMatch(/\* 1 FETCH \(FLAGS \(\\Deleted \\Recent\)\)\r\n\* 2 FETCH/);
    expect(await a.command('STORE 3 +FLAGS.SILENT (\\Seen)')).not.toContain('FETCH');
    const other = await b.command('NOOP');
    expect(other).toMatch(/\* 1 FETCH \(UID 1 FLAGS \(\\Deleted\)\)/);
    expect(other).toMatch(/\* 3 FETCH \(UID 3 FLAGS \(\\Seen\)\)/);
    // While b is in a FETCH, expunges wait; the next command that may tell them does.
    expect(await a.command('EXPUNGE')).toMatch(/\* 2 EXPUNGE\r\n\* 1 EXPUNGE\r\n/);
    const duringFetch = await b.command('FETCH 1:* (FLAGS)');
    expect(duringFetch).not.toContain('EXPUNGE');
    expect(await b.command('NOOP')).toMatch(/\* 2 EXPUNGE\r\n\* 1 EXPUNGE\r\n/);
    expect(await b.command('FETCH 1:* (UID)')).toMatch(/\* 1 FETCH \(UID 3\)\r\n\* 2 FETCH \(UID 4\)\r\n/);
    a.close();
    b.close();
  });

  it('copies and moves with COPYUID, appends with APPENDUID, manages folders', async () => {
    const mailbox = await createTestMailbox(imap.app);
    const client = await RawClient.connect(imap.port);
    await client.command(`LOGIN ${mailbox.address} ${mailbox.password}`);
    const message = sampleMessage({ subject: 'appended' });
    client.send(`a1 APPEND INBOX (\\Seen) " 1-Feb-2026 10:00:00 +0200" {${message.length}}\r\n`);
    await client.waitFor(/^\+ /m);
    client.send(Buffer.concat([message, Buffer.from('\r\n')]));
    const appended = await client.waitFor(/^a1 (OK|NO|BAD).*\r\n/m);
    expect(appended).toMatch(/a1 OK \[APPENDUID \d+ 1\] APPEND completed/);
    expect(await client.command(`APPEND INBOX {${message.length}+}\r\n${message.toString()}`)).toMatch(/OK \[APPENDUID \d+ 2\]/);
    expect(await client.command('APPEND Nowhere {3+}\r\nabc')).toMatch(/NO \[TRYCREATE\]/);
    expect(await client.command('CREATE "Archive/2026"')).toMatch(/OK CREATE/);
    expect(await client.command('CREATE Archive')).toMatch(/NO \[ALREADYEXISTS\]/);
    expect(await client.command('CREATE "a*b"')).toMatch(/NO \[CANNOT\]/);
    expect(await client.command('CREATE "x//y"')).toMatch(/NO \[CANNOT\]/);
    expect(await client.command('CREATE "&ZeVnLIqe-"')).toMatch(/OK/);
    const listing = await client.command('LIST "" "*"');
    expect(listing).toContain('* LIST (\\HasChildren) "/" "Archive"');
    expect(listing).toContain('* LIST (\\HasNoChildren) "/" "Archive/2026"');
    expect(listing).toContain('* LIST (\\HasNoChildren \\Sent) "/" "Sent"');
    expect(listing).toContain('"&ZeVnLIqe-"');
    expect(await client.command('LIST "" "%"')).not.toContain('Archive/2026');
    expect(await client.command('LIST (SPECIAL-USE) "" "*"')).toMatch(/^\* LIST \(\\HasNoChildren \\Drafts\) "\/" "Drafts"\r\n\* LIST \(\\HasNoChildren \\Junk\) "\/" "Junk"\r\n\* LIST \(\\HasNoChildren \\Sent\) "\/" "Sent"\r\n\* LIST \(\\HasNoChildren \\Trash\) "\/" "Trash"\r\n/);
    expect(await client.command('SELECT INBOX')).toContain('* 2 EXISTS');
    const copied = await client.command('COPY 1:2 Archive/2026');
    expect(copied).toMatch(/OK \[COPYUID \d+ 1:2 1:2\] COPY completed/);
    const moved = await client.command('UID MOVE 1 Trash');
    expect(moved).toMatch(/\* OK \[COPYUID \d+ 1 1\] Moved\r\n\* 1 EXPUNGE\r\nt\d+ OK/);
    expect(await client.command('STATUS "Archive/2026" (MESSAGES UNSEEN UIDNEXT RECENT)')).toContain('* STATUS "Archive/2026" (MESSAGES 2 UNSEEN 1 UIDNEXT 3 RECENT 2)');
    expect(await client.command('RENAME Archive Old')).toMatch(/OK/);
    expect(await client.command('STATUS Old/2026 (MESSAGES)')).toContain('(MESSAGES 2)');
    expect(await client.command('DELETE Old')).toMatch(/NO \[CANNOT\]/);
    expect(await client.command('DELETE Old/2026')).toMatch(/OK/);
    expect(await client.command('DELETE INBOX')).toMatch(/NO/);
    expect(await client.command('UNSELECT')).toMatch(/OK/);
    expect(await client.command('NAMESPACE')).toContain('* NAMESPACE (("" "/")) NIL NIL');
    client.close();
  });

  it('sees mail filed by another process at once while IDLE', async () => {
    const mailbox = await createTestMailbox(imap.app);
    const peer = await imap.peer();
    const client = await RawClient.connect(imap.port);
    await client.command(`LOGIN ${mailbox.address} ${mailbox.password}`);
    await client.command('SELECT INBOX');
    client.send('i1 IDLE\r\n');
    await client.waitFor(/^\+ idling\r\n/m);
    const started = Date.now();
    await peer.get(MailStore).append({ mailboxId: mailbox.mailboxId, folder: 'INBOX', raw: sampleMessage() });
    expect(await client.waitFor(/\* 1 EXISTS\r\n/, 3000)).toContain('* 1 RECENT');
    expect(Date.now() - started).toBeLessThan(1000);
    client.send('DONE\r\n');
    await client.waitFor(/^i1 OK IDLE terminated/m);
    client.close();
  });

  it('answers garbage, long lines and huge literals with BAD and keeps going', async () => {
    const client = await login();
    expect(await client.command('FROB')).toMatch(/t\d+ BAD unknown command/);
    client.send('\x00\x01garbage ((\r\n');
    expect(await client.waitFor(/BAD.*\r\n/)).toMatch(/BAD/);
    client.send(`t90 NOOP ${'x'.repeat(70_000)}\r\n`);
    expect(await client.waitFor(/^t90 BAD line too long\r\n/m)).toBeTruthy();
    client.send('t91 LOGIN {99999999}\r\n');
    expect(await client.waitFor(/^t91 BAD literal/m)).toBeTruthy();
    client.send(`t92 SELECT {100000+}\r\n${'y'.repeat(100_000)}\r\n`);
    expect(await client.waitFor(/^t92 BAD literal/m)).toBeTruthy();
    client.send('t93 APPEND INBOX {999999999}\r\n');
    expect(await client.waitFor(/^t93 NO \[TOOBIG\]/m)).toBeTruthy();
    expect(await client.command('NOOP')).toMatch(/OK NOOP/);
    client.close();
  });

  it('closes the connection after too many bad commands', async () => {
    const client = await login();
    for (let i = 0; i < 8; i++) client.send(`b${i} NONSENSE\r\n`);
    await client.waitFor(/\* BYE Too many bad commands/);
    await new Promise((r) => setTimeout(r, 100));
    expect(client.closed).toBe(true);
  });

  it('rate-limits failed logins per user name, across connections', async () => {
    const mailbox = await createTestMailbox(imap.app);
    for (let i = 0; i < 3; i++) {
      const client = await RawClient.connect(imap.port);
      expect(await client.command(`LOGIN ${mailbox.address} wrong-password`)).toMatch(/NO \[AUTHENTICATIONFAILED\]/);
      client.close();
    }
    const client = await RawClient.connect(imap.port);
    expect(await client.command(`LOGIN ${mailbox.address} ${mailbox.password}`)).toMatch(/NO \[UNAVAILABLE\]/);
    client.close();
  });

  it('does not let one user see another user\'s folders', async () => {
    const other = await createTestMailbox(imap.app);
    await store.append({ mailboxId: other.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'secret' }) });
    const client = await login();
    const status = await client.command('STATUS INBOX (MESSAGES)');
    expect(status).toContain('(MESSAGES 3)');
    client.close();
  });

  it('speaks TLS: STARTTLS on the plain port and implicit TLS on IMAPS_PORT', async () => {
    const plain = await RawClient.connect(imap.port);
    plain.send('s1 STARTTLS\r\n');
    await plain.waitFor(/^s1 OK/m);
    await plain.startTls();
    const caps = await plain.command('CAPABILITY');
    expect(caps).not.toContain('STARTTLS');
    expect(await plain.command(`LOGIN ${box.address} "${box.password}"`)).toMatch(/OK/);
    plain.close();
    const secure = await RawClient.connect(imap.tlsPort, { tls: true });
    expect(await secure.command(`AUTHENTICATE PLAIN ${Buffer.from(`\0${box.address}\0${box.password}`).toString('base64')}`)).toMatch(/OK/);
    expect(await secure.command('SELECT INBOX')).toContain('EXISTS');
    secure.close();
  });
});
