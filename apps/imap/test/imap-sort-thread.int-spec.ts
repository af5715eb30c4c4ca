import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { RawClient, startImapWithMailbox, type ImapHarness } from './imap-harness';

// Seven messages: two conversations joined by References/In-Reply-To (one through a message not
// in the folder, <missing@t>) and by subject, and one reply whose subject changed (Zebra).
const MESSAGES: Array<[subject: string, from: string, to: string, cc: string | null, date: string, id: string, refs: string | null, pad: number]> = [
  ['Hello', 'Zed <zed@x.test>', 'bob@y.test', 'carol@y.test', 'Wed, 2 Dec 2026 10:00:00 +0000', '<1@t>', null, 0],
  ['Re: Hello', 'Amy <amy@x.test>', 'zed@x.test', null, 'Wed, 2 Dec 2026 12:00:00 +0000', '<2@t>', 'References: <1@t>', 300],
  ['Another topic', 'Mike <mike@x.test>', 'amy@x.test', 'bob@y.test', 'Tue, 1 Dec 2026 09:00:00 +0000', '<3@t>', null, 100],
  ['RE: [list] hello', 'bob@y.test', 'zed@x.test', null, 'Thu, 3 Dec 2026 08:00:00 +0000', '<4@t>', 'References: <1@t> <2@t>', 0],
  ['Fwd: Another topic (fwd)', 'Amy <amy@x.test>', 'carl@z.test', null, 'Wed, 2 Dec 2026 08:00:00 +0000', '<5@t>', 'In-Reply-To: <missing@t>', 50],
  ['Re: Another topic', 'carl@z.test', 'amy@x.test', null, 'Fri, 4 Dec 2026 10:00:00 +0000', '<6@t>', 'References: <missing@t>', 0],
  ['Zebra', 'Yann <yann@x.test>', 'bob@y.test', null, 'Mon, 30 Nov 2026 10:00:00 +0000', '<7@t>', 'References: <3@t>', 0],
];

/**
 * SORT and THREAD (RFC 5256) with raw lines; every expected answer is what Dovecot 2.3.19
 * answered to the same lines over the same seven messages (imapflow has no SORT or THREAD).
 */
describe('IMAP SORT and THREAD', () => {
  let imap: ImapHarness;
  let box: TestMailbox;
  let client: RawClient;

  beforeAll(async () => {
    const raws = MESSAGES.map(([subject, from, to, cc, date, id, refs, pad], i) => {
      const headers = [`From: ${from}`, `To: ${to}`, ...(cc ? [`Cc: ${cc}`] : []), `Subject: ${subject}`, `Date: ${date}`, `Message-ID: ${id}`, ...(refs ? [refs] : [])];
      return Buffer.from(`${headers.join('\r\n')}\r\n\r\nbody ${i + 1}${'x'.repeat(pad)}\r\n`);
    });
    ({ imap, box } = await startImapWithMailbox(raws));
    client = await RawClient.connect(imap.port);
    const login = await client.command(`LOGIN ${box.address} ${box.password}`);
    for (const capability of ['SORT', 'THREAD=ORDEREDSUBJECT', 'THREAD=REFERENCES']) expect(login).toContain(` ${capability}`);
    await client.command('SELECT INBOX');
  });
  afterAll(async () => {
    client?.close();
    await imap?.close();
  });

  it.each([
    ['SORT (SUBJECT) UTF-8 ALL', '* SORT 3 5 6 1 2 4 7'],
    ['SORT (REVERSE SUBJECT) UTF-8 ALL', '* SORT 7 1 2 4 3 5 6'],
    ['SORT (DATE) UTF-8 ALL', '* SORT 7 3 5 1 2 4 6'],
    ['SORT (ARRIVAL) UTF-8 ALL', '* SORT 1 2 3 4 5 6 7'],
    ['SORT (FROM) UTF-8 ALL', '* SORT 2 5 4 6 3 7 1'],
    ['SORT (TO REVERSE DATE) UTF-8 ALL', '* SORT 6 3 1 7 5 4 2'],
    ['SORT (CC) UTF-8 ALL', '* SORT 2 4 5 6 7 3 1'],
    ['SORT (SIZE) UTF-8 ALL', '* SORT 1 7 4 6 5 3 2'],
    ['SORT (REVERSE SIZE) UTF-8 ALL', '* SORT 2 3 5 6 4 7 1'],
    ['UID SORT (SUBJECT DATE) UTF-8 NOT FROM amy', '* SORT 3 6 1 4 7'],
    ['SORT (SUBJECT) UTF-8 SUBJECT nothing', '* SORT'],
    ['THREAD ORDEREDSUBJECT UTF-8 ALL', '* THREAD (7)(3 (5)(6))(1 (2)(4))'],
    ['THREAD REFERENCES UTF-8 ALL', '* THREAD ((3 7)(5)(6))(1 2 4)'],
    ['UID THREAD REFERENCES UTF-8 NOT SUBJECT zebra', '* THREAD ((3)(5)(6))(1 2 4)'],
    ['THREAD REFERENCES UTF-8 SUBJECT nothing', '* THREAD'],
  ])('%s', async (command, expected) => {
    expect(await client.command(command)).toMatch(new RegExp(`^${expected.replace(/[()*]/g, '\\$&')}\r\nt\\d+ OK`));
  });

  it('refuses unknown keys and algorithms, and charsets it does not know', async () => {
    expect(await client.command('SORT (SUBJECT BOGUS) UTF-8 ALL')).toMatch(/^t\d+ BAD/m);
    expect(await client.command('SORT (REVERSE) UTF-8 ALL')).toMatch(/^t\d+ BAD/m);
    expect(await client.command('SORT () UTF-8 ALL')).toMatch(/^t\d+ BAD/m);
    expect(await client.command('SORT (SUBJECT)')).toMatch(/^t\d+ BAD/m);
    expect(await client.command('THREAD REFS UTF-8 ALL')).toMatch(/^t\d+ BAD/m);
    expect(await client.command('SORT (SUBJECT) KOI8-R ALL')).toMatch(/^t\d+ NO \[BADCHARSET/m);
  });
});
