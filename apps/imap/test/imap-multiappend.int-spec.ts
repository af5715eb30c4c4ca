import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { ImapStorage } from '../src/storage/imap-storage';
import { RawClient, startImapWithMailbox, type ImapHarness } from './imap-harness';

const message = (subject: string) => `From: a@example.com\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n`;

/** MULTIAPPEND (RFC 3502) with raw lines, as in the RFC's example (imapflow does not send it). */
describe('IMAP MULTIAPPEND', () => {
  let imap: ImapHarness;
  let box: TestMailbox;
  let client: RawClient;

  beforeAll(async () => {
    ({ imap, box } = await startImapWithMailbox());
    client = await RawClient.connect(imap.port);
    expect(await client.command(`LOGIN ${box.address} ${box.password}`)).toContain(' MULTIAPPEND');
  });
  afterAll(async () => {
    client?.close();
    await imap?.close();
  });

  it('stores several messages, each with its flags and date, and names every UID in APPENDUID', async () => {
    const one = message('first');
    const two = message('second');
    const three = message('third');
    // The second message waits for the server's "+" (a synchronizing literal), as in RFC 3502 6.
    client.send(`A003 APPEND Drafts (\\Seen) " 7-Feb-1994 22:43:04 -0800" {${one.length}}\r\n`);
    await client.waitFor(/^\+ /m);
    client.send(`${one} (\\Flagged $Work) {${two.length}+}\r\n${two} {${three.length}}\r\n`);
    await client.waitFor(/^\+ /m);
    client.send(`${three}\r\n`);
    const answer = await client.waitFor(/^A003 (OK|NO|BAD)[^\r]*\r\n/m);
    expect(answer).toMatch(/^A003 OK \[APPENDUID \d+ 1:3\] APPEND completed\r\n/m);
    await client.command('SELECT Drafts');
    const fetched = await client.command('FETCH 1:3 (FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (Subject)])');
    expect(fetched).toMatch(/\* 1 FETCH \(FLAGS \(\\Seen \\Recent\) INTERNALDATE "08-Feb-1994 06:43:04 \+0000" BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\}\r\nSubject: first/);
    expect(fetched).toMatch(/\* 2 FETCH \(FLAGS \(\\Flagged \$Work \\Recent\) INTERNALDATE "[^"]+" BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\}\r\nSubject: second/);
    expect(fetched).toMatch(/\* 3 FETCH \(FLAGS \(\\Recent\) INTERNALDATE "[^"]+" BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\}\r\nSubject: third/);
    await client.command('UNSELECT');
  });

  it('stores none when one of the messages cannot be stored', async () => {
    const good = message('good');
    client.send(`A004 APPEND Sent {${good.length}+}\r\n${good} (\\Seen) {0+}\r\n\r\n`);
    expect(await client.waitFor(/^A004 (OK|NO|BAD)[^\r]*\r\n/m)).toMatch(/^A004 NO \[CANNOT\]/m);
    client.send(`A005 APPEND Nowhere {${good.length}+}\r\n${good} {${good.length}+}\r\n${good}\r\n`);
    expect(await client.waitFor(/^A005 (OK|NO|BAD)[^\r]*\r\n/m)).toMatch(/^A005 NO \[TRYCREATE\]/m);
    expect(await client.command('STATUS Sent (MESSAGES UIDNEXT)')).toContain('* STATUS "Sent" (MESSAGES 0 UIDNEXT 1)');
    // A flag list or date with no message after it is a syntax error.
    client.send(`A006 APPEND Sent {${good.length}+}\r\n${good} (\\Seen)\r\n`);
    expect(await client.waitFor(/^A006 (OK|NO|BAD)[^\r]*\r\n/m)).toMatch(/^A006 BAD/m);
    expect(await client.command('STATUS Sent (MESSAGES)')).toContain('(MESSAGES 0)');
  });

  it('takes back the messages already stored when a later one fails to store', async () => {
    // The third message's filing fails (as a lost database connection would) after two are stored.
    expect(await client.command('CREATE Failing')).toMatch(/OK/);
    const storage = imap.app.get(ImapStorage);
    const append = storage.append.bind(storage);
    let calls = 0;
    storage.append = async (...args) => {
      if (++calls === 3) throw new Error('connection lost');
      return append(...args);
    };
    try {
      const parts = ['one', 'two', 'three'].map((subject) => message(subject));
      client.send(`A007 APPEND Failing ${parts.map((part) => `{${part.length}+}\r\n${part}`).join(' ')}\r\n`);
      expect(await client.waitFor(/^A007 (OK|NO|BAD)[^\r]*\r\n/m)).toMatch(/^A007 NO \[SERVERBUG\]/m);
    } finally {
      storage.append = append;
    }
    expect(calls).toBe(3);
    // None of the three is there, and the two UIDs handed out are not handed out again.
    expect(await client.command('STATUS Failing (MESSAGES UIDNEXT)')).toContain('* STATUS "Failing" (MESSAGES 0 UIDNEXT 3)');
    expect(await client.command('SELECT Failing')).toContain('* 0 EXISTS');
    expect(await client.command('UID SEARCH ALL')).toMatch(/^\* SEARCH\r\n/m);
    await client.command('UNSELECT');
  });
});
