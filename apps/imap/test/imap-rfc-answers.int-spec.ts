import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailStore } from '@mailroom/mailstore';
import { sampleMessage, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { mailboxWith, RawClient, startImap, type ImapHarness } from './imap-harness';

/**
 * Issue 15's wrong answers, each as raw protocol lines the way the RFC examples are written,
 * with what Dovecot 2.3 answered to the same lines.
 */
describe('IMAP answers as the RFCs (and Dovecot) give them', () => {
  let imap: ImapHarness;
  let store: MailStore;

  beforeAll(async () => {
    imap = await startImap();
    store = imap.app.get(MailStore);
  });
  afterAll(() => imap?.close());

  async function session(fill = 0): Promise<{ client: RawClient; box: TestMailbox }> {
    const box = await mailboxWith(imap, fill, (i) => sampleMessage({ subject: `m${i}` }));
    const client = await RawClient.connect(imap.port);
    expect(await client.command(`LOGIN ${box.address} ${box.password}`)).toMatch(/OK/);
    return { client, box };
  }

  it('STORE with an empty flag list is OK (RFC 3501 flag-list), not BAD', async () => {
    const { client } = await session(18);
    await client.command('SELECT INBOX');
    expect(await client.command('STORE 1 +FLAGS (\\Seen)')).toMatch(/OK/);
    const added = await client.command('STORE 1 +FLAGS ()');
    expect(added).toMatch(/^\* 1 FETCH \(FLAGS \(\\Seen \\Recent\)\)\r\nt\d+ OK/m);
    expect(await client.command('STORE 1,16:18 -FLAGS.SILENT ()')).toMatch(/^t\d+ OK/m);
    expect(await client.command('FETCH 1 (FLAGS)')).toContain('* 1 FETCH (FLAGS (\\Seen \\Recent))');
    expect(await client.command('STORE 1 FLAGS ()')).toContain('* 1 FETCH (FLAGS (\\Recent))');
    client.close();
  });

  it('a keyword first set by STORE is announced in FLAGS and PERMANENTFLAGS, to this session, another one, and at the next SELECT', async () => {
    const { client, box } = await session(2);
    const other = await RawClient.connect(imap.port);
    await other.command(`LOGIN ${box.address} ${box.password}`);
    const selected = await client.command('SELECT INBOX');
    expect(selected).toContain('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n');
    expect(await other.command('SELECT INBOX')).not.toContain('$Label1');

    const stored = await client.command('STORE 1 +FLAGS ($Label1)');
    // The announcement comes before the FETCH that carries the keyword.
    expect(stored).toMatch(
      /^\* FLAGS \(\\Answered \\Flagged \\Deleted \\Seen \\Draft \$Label1\)\r\n\* OK \[PERMANENTFLAGS \(\\Answered \\Flagged \\Deleted \\Seen \\Draft \$Label1 \\\*\)\] [^\r]*\r\n\* 1 FETCH \(FLAGS \(\$Label1 \\Recent\)\)/m,
    );
    // Said once: setting it on another message announces nothing new.
    expect(await client.command('STORE 2 +FLAGS.SILENT ($Label1)')).not.toContain('* FLAGS');

    const noop = await other.command('NOOP');
    expect(noop).toMatch(/\* FLAGS \([^)]*\$Label1\)\r\n\* OK \[PERMANENTFLAGS \([^)]*\$Label1 \\\*\)\][^\r]*\r\n(\* \d FETCH \(UID \d FLAGS \(\$Label1\)\)\r\n){2}/);

    const third = await RawClient.connect(imap.port);
    await third.command(`LOGIN ${box.address} ${box.password}`);
    expect(await third.command('SELECT INBOX')).toContain('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)\r\n');
    // The next keyword, set by another session while this one waits, at SELECT again.
    await other.command('STORE 2 +FLAGS (Work)');
    expect(await client.command('SELECT INBOX')).toContain('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1 Work)\r\n');
    for (const c of [client, other, third]) c.close();
  });

  it('a [ inside an atom is an atom character (only ] is a resp-special)', async () => {
    const { client } = await session();
    expect(await client.command('CREATE br[x')).toMatch(/^t\d+ OK/m);
    expect(await client.command('LIST "" br*')).toContain('* LIST (\\HasNoChildren) "/" "br[x"\r\n');
    expect(await client.command('SELECT br[x')).toMatch(/^t\d+ OK \[READ-WRITE\]/m);
    expect(await client.command('STATUS br[x (MESSAGES)')).toContain('* STATUS "br[x" (MESSAGES 0)');
    // A section is still one atom.
    expect(await client.command('FETCH 1:* (BODY.PEEK[HEADER.FIELDS (Subject)])')).toMatch(/^t\d+ OK/m);
    client.close();
  });

  it('subscriptions are names: CREATE subscribes nothing, DELETE keeps the subscription, LSUB gives \\Noselect parents, RECURSIVEMATCH gives CHILDINFO', async () => {
    const { client } = await session();
    // The standard folders start subscribed.
    expect(await client.command('LSUB "" *')).toMatch(/^\* LSUB \(\) "\/" "INBOX"\r\n(.*\r\n)*t\d+ OK/m);
    expect(await client.command('CREATE a/b/c')).toMatch(/^t\d+ OK/m);
    expect(await client.command('LSUB "" a*')).toMatch(/^t\d+ OK/);
    expect(await client.command('SUBSCRIBE a/b/c')).toMatch(/^t\d+ OK/m);
    expect(await client.command('LSUB "" a/%')).toMatch(/^\* LSUB \(\\Noselect\) "\/" "a\/b"\r\nt\d+ OK/);
    expect(await client.command('LSUB "" %')).toContain('* LSUB (\\Noselect) "/" "a"\r\n');
    expect(await client.command('LSUB "" a*')).toMatch(/^\* LSUB \(\) "\/" "a\/b\/c"\r\nt\d+ OK/);
    expect(await client.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" %')).toContain('* LIST (\\HasChildren) "/" "a" (CHILDINFO ("SUBSCRIBED"))\r\n');
    expect(await client.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" a/%')).toMatch(/^\* LIST \(\\HasChildren\) "\/" "a\/b" \(CHILDINFO \("SUBSCRIBED"\)\)\r\nt\d+ OK/);
    expect(await client.command('LIST (SUBSCRIBED) "" a*')).toMatch(/^\* LIST \(\\HasNoChildren \\Subscribed\) "\/" "a\/b\/c"\r\nt\d+ OK/);
    expect(await client.command('LIST "" a* RETURN (SUBSCRIBED)')).toMatch(
      /^\* LIST \(\\HasChildren\) "\/" "a"\r\n\* LIST \(\\HasChildren\) "\/" "a\/b"\r\n\* LIST \(\\HasNoChildren \\Subscribed\) "\/" "a\/b\/c"\r\nt\d+ OK/,
    );

    expect(await client.command('DELETE a/b/c')).toMatch(/^t\d+ OK/m);
    expect(await client.command('LIST (SUBSCRIBED) "" a*')).toMatch(/^\* LIST \(\\NonExistent \\Subscribed\) "\/" "a\/b\/c"\r\nt\d+ OK/);
    expect(await client.command('LSUB "" a*')).toMatch(/^\* LSUB \(\) "\/" "a\/b\/c"\r\nt\d+ OK/);
    expect(await client.command('LIST "" a*')).not.toContain('a/b/c');
    expect(await client.command('UNSUBSCRIBE a/b/c')).toMatch(/^t\d+ OK/m);
    expect(await client.command('LIST (SUBSCRIBED) "" a*')).toMatch(/^t\d+ OK/);
    // RENAME carries the subscription along.
    await client.command('SUBSCRIBE a/b');
    expect(await client.command('RENAME a r')).toMatch(/^t\d+ OK/m);
    expect(await client.command('LSUB "" *')).toContain('* LSUB () "/" "r/b"\r\n');
    client.close();
  });

  it('RECURSIVEMATCH with only REMOTE, and an unknown RETURN option, are BAD (RFC 5258)', async () => {
    const { client } = await session();
    expect(await client.command('LIST (RECURSIVEMATCH REMOTE) "" ""')).toMatch(/^t\d+ BAD/);
    expect(await client.command('LIST (RECURSIVEMATCH) "" %')).toMatch(/^t\d+ BAD/);
    expect(await client.command('LIST "" "" RETURN (unknown-option)')).toMatch(/^t\d+ BAD/);
    expect(await client.command('LIST (REMOTE) "" "" RETURN (CHILDREN SUBSCRIBED SPECIAL-USE)')).toMatch(/^\* LIST \(\\Noselect\) "\/" ""\r\nt\d+ OK/);
    client.close();
  });

  it('SENTON, SENTBEFORE and SENTSINCE compare the day written in the Date: header, whatever its time and zone', async () => {
    const { client, box } = await session();
    // 23:30 -0800 on the 1st is the 2nd in UTC; 00:30 +1000 on the 3rd is the 2nd in UTC.
    await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'late', date: 'Tue, 1 Dec 2026 23:30:00 -0800' }) });
    await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'early', date: 'Thu, 3 Dec 2026 00:30:00 +1000' }) });
    await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'two-digit', date: '2 Dec 26 12:00 GMT' }) });
    await client.command('SELECT INBOX');
    expect(await client.command('SEARCH SENTON 1-Dec-2026')).toContain('* SEARCH 1\r\n');
    expect(await client.command('SEARCH SENTON 2-Dec-2026')).toContain('* SEARCH 3\r\n');
    expect(await client.command('SEARCH SENTON 3-Dec-2026')).toContain('* SEARCH 2\r\n');
    expect(await client.command('SEARCH SENTBEFORE 2-Dec-2026')).toContain('* SEARCH 1\r\n');
    expect(await client.command('SEARCH SENTSINCE 2-Dec-2026')).toContain('* SEARCH 2 3\r\n');
    expect(await client.command('UID SEARCH SENTSINCE 3-Dec-2026 SUBJECT early')).toContain('* SEARCH 2\r\n');
    client.close();
  });

  it('SEARCH TO matches a group display name', async () => {
    const { client, box } = await session();
    await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ to: 'Project Team: c@example.org, d@example.org;' }) });
    await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ to: 'undisclosed-recipients:;' }) });
    await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ to: 'someone@example.org' }) });
    await client.command('SELECT INBOX');
    expect(await client.command('SEARCH TO "project team"')).toContain('* SEARCH 1\r\n');
    expect(await client.command('SEARCH TO d@example.org')).toContain('* SEARCH 1\r\n');
    expect(await client.command('SEARCH TO undisclosed-recipients')).toContain('* SEARCH 2\r\n');
    client.close();
  });
});
