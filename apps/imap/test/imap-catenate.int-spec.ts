import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderStore, MailStore } from '@mailroom/mailstore';
import { createTestMailbox, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { RawClient, startImap, type ImapHarness } from './imap-harness';

/** The APPEND limit of this file's server: small, so TOOBIG takes a few URLs of one message. */
const LIMIT = 4096;
const PART_2 = 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC/w==\r\n';
const SOURCE = [
  'From: a@example.com',
  'Subject: source',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain',
  '',
  `${'padding '.repeat(180)}`,
  `--b\r\n${PART_2}--b--`,
  '',
].join('\r\n');

const answer = (client: RawClient, tag: string) => client.waitFor(new RegExp(`^${tag} (OK|NO|BAD)[^\\r]*\\r\\n`, 'm'));

/** CATENATE (RFC 4469): messages made of literals and IMAP URLs (RFC 5092) of mail already on the server. */
describe('IMAP CATENATE', () => {
  let imap: ImapHarness;
  let box: TestMailbox;
  let other: TestMailbox;
  let client: RawClient;
  let validity: number;
  let otherValidity: number;
  let capabilities: string;

  beforeAll(async () => {
    imap = await startImap({}, { MAX_MESSAGE_SIZE: String(LIMIT) });
    box = await createTestMailbox(imap.app);
    other = await createTestMailbox(imap.app);
    const store = imap.app.get(MailStore);
    ({ uidValidity: validity } = await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: Buffer.from(SOURCE) }));
    await imap.app.get(FolderStore).createPath(other.mailboxId, 'Secret');
    ({ uidValidity: otherValidity } = await store.append({ mailboxId: other.mailboxId, folder: 'Secret', raw: Buffer.from(SOURCE) }));
    client = await RawClient.connect(imap.port);
    capabilities = await client.command(`LOGIN ${box.address} ${box.password}`);
  });
  afterAll(async () => {
    client?.close();
    await imap?.close();
  });

  const drafts = async () => /MESSAGES (\d+)/.exec(await client.command('STATUS Drafts (MESSAGES)'))![1];

  it('is announced', () => {
    expect(SOURCE.length).toBeGreaterThan(LIMIT / 3);
    expect(SOURCE.length).toBeLessThan(LIMIT / 2);
    expect(capabilities).toMatch(/ MULTIAPPEND CATENATE /);
  });

  it('joins literals, a whole message and a section by URL, byte for byte, and leaves the source unseen', async () => {
    const head = 'From: b@example.com\r\nSubject: forwarded\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="z"\r\n\r\n--z\r\nContent-Type: message/rfc822\r\n\r\n';
    const middle = '\r\n--z\r\n';
    const tail = '\r\n--z--\r\n';
    const url = `/INBOX;UIDVALIDITY=${validity}/;UID=1`;
    // The first TEXT waits for "+" (synchronizing), the others do not (LITERAL+); the section's key in lower case as in RFC 4469's examples.
    client.send(`A1 APPEND Drafts (\\Draft) CATENATE (TEXT {${head.length}}\r\n`);
    await client.waitFor(/^\+ /m);
    client.send(`${head} URL "${url}" TEXT {${middle.length}+}\r\n${middle} URL ${url}/;section=2.MIME URL "${url}/;SECTION=2" TEXT {${tail.length}+}\r\n${tail})\r\n`);
    const appended = await answer(client, 'A1');
    expect(appended).toMatch(/^A1 OK \[APPENDUID \d+ 1\] APPEND completed\r\n/m);
    // SECTION=2 is the part's body without the CRLF that belongs to the boundary after it (RFC 2046 5.1.1).
    const expected = head + SOURCE + middle + PART_2.slice(0, -2) + tail;
    await client.command('EXAMINE Drafts');
    const fetched = await client.command('UID FETCH 1 (FLAGS BODY.PEEK[])');
    expect(fetched).toMatch(/FLAGS \(\\Draft[^)]*\) BODY\[\] /);
    expect(fetched).toContain(`BODY[] {${expected.length}}\r\n${expected})`);
    // The attached message is message part 2's message: its own part 2 is the base64 part.
    expect(await client.command('UID FETCH 1 (BINARY.PEEK[1.2])')).toContain('BINARY[1.2] ~{4}\r\n\x00\x01\x02');
    // Relative to the selected folder, a URL needs no folder name (RFC 4469 3).
    await client.command('SELECT INBOX');
    client.send(`A2 APPEND Drafts CATENATE (URL ";UID=1/;SECTION=HEADER" TEXT {4+}\r\nbody)\r\n`);
    expect(await answer(client, 'A2')).toMatch(/^A2 OK \[APPENDUID \d+ 2\]/m);
    expect(await client.command('FETCH 1 (FLAGS)')).toContain('* 1 FETCH (FLAGS (\\Recent))');
    await client.command('EXAMINE Drafts');
    const header = SOURCE.slice(0, SOURCE.indexOf('\r\n\r\n') + 4);
    expect(await client.command('UID FETCH 2 (BODY.PEEK[])')).toContain(`BODY[] {${header.length + 4}}\r\n${header}body)`);
    await client.command('UNSELECT');
  });

  it('takes a literal8 TEXT and keeps its NUL', async () => {
    const text = Buffer.from('Subject: nul\r\n\r\na\x00b\r\n', 'latin1');
    client.send(Buffer.concat([Buffer.from('A3 APPEND Drafts CATENATE (TEXT ~{' + text.length + '+}\r\n'), text, Buffer.from(`)\r\n`)]));
    expect(await answer(client, 'A3')).toMatch(/^A3 OK \[APPENDUID \d+ 3\]/m);
    await client.command('EXAMINE Drafts');
    expect(await client.command('UID FETCH 3 (BINARY.PEEK[])')).toContain(`BINARY[] ~{${text.length}}\r\n${text.toString('latin1')})`);
    await client.command('UNSELECT');
  });

  it('answers NO [BADURL url] for what is not this user\'s message or part, and stores nothing', async () => {
    const before = await drafts();
    const bad = [
      `/INBOX;UIDVALIDITY=${validity + 1}/;UID=1`, // wrong UIDVALIDITY
      `/INBOX;UIDVALIDITY=${validity}/;UID=99`, // no such UID
      `/INBOX;UIDVALIDITY=${validity}/;UID=1/;SECTION=7`, // no such part
      `/Secret;UIDVALIDITY=${otherValidity}/;UID=1`, // another user's folder, by its own UIDVALIDITY
      `imap://${other.address.replace('@', '%40')}@127.0.0.1/Secret;UIDVALIDITY=${otherValidity}/;UID=1`, // another user by an absolute URL
      ';UID=1', // relative to a selected folder, with none selected
      '/INBOX;UIDVALIDITY=1/;UID=1/;URLAUTH=anonymous', // URLAUTH is not offered
    ];
    for (const [i, url] of bad.entries()) {
      client.send(`B${i} APPEND Drafts CATENATE (TEXT {7+}\r\nHi: x\r\n URL "${url}")\r\n`);
      const reply = await answer(client, `B${i}`);
      expect(reply, url).toContain(`B${i} NO [BADURL ${url}] `);
    }
    // `]` cannot stand in the response code: it is percent-encoded there.
    client.send(`B9 APPEND Drafts CATENATE (URL "/INBOX]x;UID=1")\r\n`);
    expect(await answer(client, 'B9')).toContain('B9 NO [BADURL /INBOX%5Dx;UID=1] ');
    expect(await drafts()).toBe(before);
    // Malformed CATENATE lists are syntax errors.
    expect(await client.command('APPEND Drafts CATENATE ()')).toMatch(/^t\d+ BAD/m);
    expect(await client.command('APPEND Drafts CATENATE (URL)')).toMatch(/^t\d+ BAD/m);
    expect(await client.command('APPEND Drafts CATENATE (TEXT "not a literal")')).toMatch(/^t\d+ BAD/m);
  });

  it('answers NO [TOOBIG] when the result is over the APPEND limit', async () => {
    const before = await drafts();
    const url = `/INBOX;UIDVALIDITY=${validity}/;UID=1`;
    expect(await client.command(`APPEND Drafts CATENATE (URL ${url} URL ${url})`)).toMatch(/^t\d+ OK/m);
    expect(await client.command(`APPEND Drafts CATENATE (URL ${url} URL ${url} URL ${url})`)).toMatch(/^t\d+ NO \[TOOBIG\]/m);
    expect(Number(await drafts())).toBe(Number(before) + 1);
  });

  it('stores none of a MULTIAPPEND whose CATENATE fails', async () => {
    const before = await drafts();
    const good = 'Subject: good\r\n\r\nfine\r\n';
    const url = `/INBOX;UIDVALIDITY=${validity}/;UID=1`;
    client.send(`M1 APPEND Drafts {${good.length}+}\r\n${good} (\\Seen) CATENATE (URL ${url}) CATENATE (TEXT {${good.length}+}\r\n${good} URL ${url}/;UID=2)\r\n`);
    // `/;UID=2` after the UID is not a URL this server reads.
    expect(await answer(client, 'M1')).toContain(`M1 NO [BADURL ${url}/;UID=2] `);
    client.send(`M2 APPEND Drafts {${good.length}+}\r\n${good} CATENATE (URL ${url}) CATENATE (URL /INBOX/;UID=5)\r\n`);
    expect(await answer(client, 'M2')).toContain('M2 NO [BADURL /INBOX/;UID=5] ');
    expect(await drafts()).toBe(before);
    // And all of one that succeeds.
    client.send(`M3 APPEND Drafts {${good.length}+}\r\n${good} (\\Seen) CATENATE (URL /INBOX/;UID=1) CATENATE (TEXT {${good.length}+}\r\n${good})\r\n`);
    expect(await answer(client, 'M3')).toMatch(/^M3 OK \[APPENDUID \d+ \d+:\d+\]/m);
    expect(Number(await drafts())).toBe(Number(before) + 3);
  });
});
