import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailStore } from '@mailroom/mailstore';
import { createTestMailbox, sampleMessage, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { RawClient, recordingImapFlow, startImap, type ImapHarness } from './imap-harness';

/** ESEARCH (RFC 4731), SEARCHRES (RFC 5182), WITHIN (RFC 5032) and LIST-STATUS (RFC 5819). */
describe('IMAP search and list extensions', () => {
  let imap: ImapHarness;
  let store: MailStore;
  let box: TestMailbox;
  const hour = 3600 * 1000;

  beforeAll(async () => {
    imap = await startImap();
    store = imap.app.get(MailStore);
    box = await createTestMailbox(imap.app);
    // Messages 1-6; 2, 4 and 6 about "report"; 1-3 arrived two days ago, 4-6 an hour ago.
    for (let i = 1; i <= 6; i++) {
      await store.append({
        mailboxId: box.mailboxId,
        folder: 'INBOX',
        raw: sampleMessage({ subject: i % 2 ? `note ${i}` : `report ${i}` }),
        internalDate: new Date(Date.now() - (i <= 3 ? 48 : 1) * hour),
        flags: i === 6 ? ['\\Seen'] : [],
      });
    }
    await store.append({ mailboxId: box.mailboxId, folder: 'Sent', raw: sampleMessage({ subject: 'sent one' }) });
  });
  afterAll(() => imap?.close());

  async function login(): Promise<RawClient> {
    const client = await RawClient.connect(imap.port);
    const answer = await client.command(`LOGIN ${box.address} ${box.password}`);
    for (const capability of ['ESEARCH', 'SEARCHRES', 'WITHIN', 'LIST-STATUS']) expect(answer).toContain(` ${capability}`);
    return client;
  }

  it('ESEARCH: RETURN (MIN MAX COUNT ALL) in one untagged ESEARCH with the tag, UID when by UID, RETURN () as ALL', async () => {
    const client = await login();
    await client.command('SELECT INBOX');
    client.send('A282 SEARCH RETURN (MIN COUNT) SUBJECT report\r\n');
    expect(await client.waitFor(/^A282 OK/m)).toMatch(/^\* ESEARCH \(TAG "A282"\) MIN 2 COUNT 3\r\nA282 OK/);
    client.send('A283 UID SEARCH RETURN (MIN MAX ALL COUNT) SUBJECT report\r\n');
    expect(await client.waitFor(/^A283 OK/m)).toMatch(/^\* ESEARCH \(TAG "A283"\) UID MIN 2 MAX 6 ALL 2,4,6 COUNT 3\r\nA283 OK/);
    client.send('A284 SEARCH RETURN () 1:5 NOT SEEN\r\n');
    expect(await client.waitFor(/^A284 OK/m)).toMatch(/^\* ESEARCH \(TAG "A284"\) ALL 1:5\r\nA284 OK/);
    // No match: MIN, MAX and ALL are left out, COUNT is 0.
    client.send('A285 SEARCH RETURN (MIN MAX ALL COUNT) SUBJECT nowhere\r\n');
    expect(await client.waitFor(/^A285 OK/m)).toMatch(/^\* ESEARCH \(TAG "A285"\) COUNT 0\r\nA285 OK/);
    expect(await client.command('SEARCH RETURN (FIRST) ALL')).toMatch(/BAD/);
    // Plain SEARCH is answered as before.
    expect(await client.command('SEARCH SUBJECT report')).toContain('* SEARCH 2 4 6\r\n');
    client.close();
  });

  it('SEARCHRES: RETURN (SAVE) keeps the result for $ in FETCH, STORE, SEARCH and UID commands, without an ESEARCH unless asked', async () => {
    const client = await login();
    await client.command('SELECT INBOX');
    // Before any SAVE, $ is empty.
    expect(await client.command('FETCH $ (UID)')).toMatch(/^t\d+ OK/);
    const saved = await client.command('SEARCH RETURN (SAVE) SUBJECT report');
    expect(saved).toMatch(/^t\d+ OK/);
    expect(await client.command('FETCH $ (UID)')).toMatch(/^\* 2 FETCH \(UID 2\)\r\n\* 4 FETCH \(UID 4\)\r\n\* 6 FETCH \(UID 6\)\r\nt\d+ OK/);
    expect(await client.command('STORE $ +FLAGS.SILENT (\\Flagged)')).toMatch(/^t\d+ OK/);
    expect(await client.command('SEARCH FLAGGED')).toContain('* SEARCH 2 4 6\r\n');
    expect(await client.command('UID SEARCH $ SEEN')).toContain('* SEARCH 6\r\n');
    expect(await client.command('SEARCH OR $ 1 NOT SEEN')).toContain('* SEARCH 1 2 4\r\n');
    // SAVE with MIN and MAX only saves those two.
    expect(await client.command('UID SEARCH RETURN (SAVE MIN MAX) SUBJECT report')).toMatch(/^\* ESEARCH \(TAG "t\d+"\) UID MIN 2 MAX 6\r\n/);
    expect(await client.command('UID FETCH $ (FLAGS)')).toMatch(/^\* 2 FETCH \(UID 2 FLAGS \([^)]*\)\)\r\n\* 6 FETCH \(UID 6 FLAGS \([^)]*\)\)\r\nt\d+ OK/);
    // An expunged message leaves $.
    await client.command('STORE 6 +FLAGS.SILENT (\\Deleted)');
    await client.command('EXPUNGE');
    expect(await client.command('UID FETCH $ (UID)')).toMatch(/^\* 2 FETCH \(UID 2\)\r\nt\d+ OK/);
    // A failed SEARCH with SAVE empties $; a new SELECT too.
    expect(await client.command('SEARCH RETURN (SAVE) BOGUS')).toMatch(/BAD/);
    expect(await client.command('FETCH $ (UID)')).toMatch(/^t\d+ OK/);
    await client.command('SEARCH RETURN (SAVE) ALL');
    await client.command('SELECT INBOX');
    expect(await client.command('FETCH $ (UID)')).toMatch(/^t\d+ OK/);
    client.close();
  });

  it('WITHIN: OLDER and YOUNGER count seconds back from now on INTERNALDATE', async () => {
    const client = await login();
    await client.command('SELECT INBOX');
    expect(await client.command('SEARCH YOUNGER 86400')).toContain('* SEARCH 4 5\r\n');
    expect(await client.command('SEARCH OLDER 86400')).toContain('* SEARCH 1 2 3\r\n');
    expect(await client.command('SEARCH OLDER 86400 SUBJECT report')).toContain('* SEARCH 2\r\n');
    expect(await client.command('SEARCH NOT YOUNGER 7200 BODY there')).toContain('* SEARCH 1 2 3\r\n');
    expect(await client.command('SEARCH YOUNGER x')).toMatch(/BAD/);
    client.close();
  });

  it('LIST-STATUS: RETURN (STATUS (...)) follows each listed folder with its STATUS', async () => {
    const client = await login();
    const answer = await client.command('LIST "" (INBOX Sent Nowhere) RETURN (STATUS (MESSAGES UNSEEN UIDNEXT))');
    expect(answer).toMatch(/^\* LIST \(\\HasNoChildren\) "\/" "INBOX"\r\n\* STATUS "INBOX" \(MESSAGES \d UNSEEN \d UIDNEXT \d+\)\r\n\* LIST \(\\HasNoChildren \\Sent\) "\/" "Sent"\r\n\* STATUS "Sent" \(MESSAGES 1 UNSEEN 1 UIDNEXT 2\)\r\nt\d+ OK/);
    expect(await client.command('LIST "" % RETURN (STATUS (BOGUS))')).toMatch(/BAD/);
    client.close();
  });

  it('imapflow uses them: ESEARCH results, SINCE/BEFORE as YOUNGER/OLDER, LIST-STATUS for statusQuery', async () => {
    const { flow, sent } = recordingImapFlow(imap.port, box);
    await flow.connect();
    try {
      const folders = await flow.list({ statusQuery: { messages: true, unseen: true } });
      expect(folders.find((f) => f.path === 'Sent')?.status).toMatchObject({ messages: 1, unseen: 1 });
      const lock = await flow.getMailboxLock('INBOX');
      try {
        const result = await flow.search({ subject: 'report' }, { uid: true, returnOptions: ['MIN', 'MAX', 'COUNT', 'ALL'] });
        expect(result).toMatchObject({ min: 2, max: 4, count: 2, all: '2,4' });
        expect(await flow.search({ since: new Date(Date.now() - 24 * hour) }, { uid: true })).toEqual([4, 5]);
        expect(await flow.search({ before: new Date(Date.now() - 24 * hour) }, { uid: true })).toEqual([1, 2, 3]);
      } finally {
        lock.release();
      }
    } finally {
      await flow.logout();
    }
    const commands = sent.join('\n');
    expect(commands).toMatch(/LIST .*RETURN \(.*STATUS \(/);
    expect(commands).toMatch(/SEARCH RETURN \(/);
    expect(commands).toMatch(/SEARCH YOUNGER \d+/);
    expect(commands).toMatch(/SEARCH OLDER \d+/);
  });
});
