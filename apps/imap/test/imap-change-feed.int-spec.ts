import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderStore, MailNotifier, MailStore } from '@mailroom/mailstore';
import { sampleMessage, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { ImapStorage } from '../src/storage/imap-storage';
import { mailboxWith, RawClient, startImap, type ImapHarness } from './imap-harness';

/**
 * The change feed reads a folder's changes back from PostgreSQL only when this process cannot
 * know them: a session's own STORE and EXPUNGE, and a SELECT with nothing announced meanwhile,
 * cost no read; a change by another process, or one committed while SELECT read the folder,
 * is still read and told.
 */
describe('IMAP change feed', () => {
  let imap: ImapHarness;
  let storage: ImapStorage;
  let reads = 0;

  beforeAll(async () => {
    imap = await startImap();
    storage = imap.app.get(ImapStorage);
    await imap.app.get(MailNotifier).ready();
    const changesSince = storage.changesSince.bind(storage);
    storage.changesSince = (...args) => {
      reads++;
      return changesSince(...args);
    };
  });
  afterAll(() => imap?.close());

  async function login(box: TestMailbox): Promise<RawClient> {
    const client = await RawClient.connect(imap.port);
    expect(await client.command(`LOGIN ${box.address} ${box.password}`)).toMatch(/OK/);
    return client;
  }

  /**
   * A command that tells what changed without asking for a read (NOOP and CHECK always read);
   * repeated until the answer holds `text` (another process's change arrives through Redis).
   */
  async function pollUntil(client: RawClient, text: string): Promise<string> {
    let answer = '';
    for (let i = 0; i < 100 && !answer.includes(text); i++) {
      answer = await client.command('UID FETCH 1 (UID)');
      if (!answer.includes(text)) await new Promise((r) => setTimeout(r, 50));
    }
    return answer;
  }

  it("SELECT, a session's own STORE and EXPUNGE, and another session told of them cost no read", async () => {
    const box = await mailboxWith(imap, 3, (i) => sampleMessage({ subject: `m${i}` }));
    const a = await login(box);
    const b = await login(box);
    const before = reads;
    expect(await a.command('SELECT INBOX')).toContain('* 3 EXISTS');
    expect(await b.command('SELECT INBOX')).toContain('* 3 EXISTS');
    expect(await a.command('STORE 1 +FLAGS ($Label1)')).toMatch(/\* FLAGS \([^)]*\$Label1\)[\s\S]*\* 1 FETCH \(FLAGS \(\$Label1 \\Recent\)\)/);
    expect(await b.command('UID FETCH 1 (UID)')).toContain('* 1 FETCH (UID 1 FLAGS ($Label1))');
    await a.command('STORE 2 +FLAGS.SILENT (\\Deleted)');
    expect(await a.command('EXPUNGE')).toContain('* 2 EXPUNGE');
    expect(await b.command('UID FETCH 1 (UID)')).toContain('* 2 EXPUNGE');
    expect(await b.command('FETCH 1:* (UID FLAGS)')).toMatch(/^\* 1 FETCH \(UID 1 FLAGS \(\$Label1\)\)\r\n\* 2 FETCH \(UID 3 FLAGS \(\)\)\r\nt\d+ OK/);
    expect(reads).toBe(before);
    a.close();
    b.close();
  });

  it("another process's change is read and told", async () => {
    const box = await mailboxWith(imap, 2, (i) => sampleMessage({ subject: `m${i}` }));
    const client = await login(box);
    await client.command('SELECT INBOX');
    const before = reads;
    const peer = await imap.peer();
    const inbox = (await peer.get(FolderStore).find(box.mailboxId, 'INBOX'))!;
    await peer.get(MailStore).storeFlags({ mailboxId: box.mailboxId, folderId: inbox.id, uids: [2], operation: 'add', flags: ['\\Flagged'] });
    expect(await pollUntil(client, '* 2 FETCH')).toContain('* 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent))');
    expect(reads).toBeGreaterThan(before);
    client.close();
  });

  it('a change committed while SELECT read the folder is told with the SELECT', async () => {
    const box = await mailboxWith(imap, 2, (i) => sampleMessage({ subject: `m${i}` }));
    const client = await login(box);
    const peer = await imap.peer();
    const inbox = (await peer.get(FolderStore).find(box.mailboxId, 'INBOX'))!;
    const open = storage.open.bind(storage);
    storage.open = async (...args) => {
      const opened = await open(...args);
      // Another process changes the folder after the snapshot; its announcement arrives
      // before the session starts watching.
      const heard = new Promise<void>((resolve) => {
        const stop = imap.app.get(MailNotifier).watch(inbox.id, () => {
          stop();
          resolve();
        });
      });
      await peer.get(MailStore).storeFlags({ mailboxId: box.mailboxId, folderId: inbox.id, uids: [1], operation: 'add', flags: ['\\Answered'] });
      await heard;
      return opened;
    };
    try {
      const selected = await client.command('SELECT INBOX');
      expect(selected).toContain('* 2 EXISTS');
      expect(selected).toMatch(/\* 1 FETCH \(UID 1 FLAGS \(\\Answered \\Recent\)\)\r\nt\d+ OK \[READ-WRITE\]/);
    } finally {
      storage.open = open;
    }
    client.close();
  });

  it('a UID STORE reaches only messages the session has been told of; the next sync tells the rest (as Dovecot)', async () => {
    // Dovecot, by hand: session B selected, session A appends UID 1, B's UID STORE 1 +FLAGS
    // (\Flagged) answers OK with * 1 EXISTS after it and leaves the message unflagged.
    const box = await mailboxWith(imap, 1, (i) => sampleMessage({ subject: `m${i}` }));
    const client = await login(box);
    expect(await client.command('SELECT INBOX')).toContain('* 1 EXISTS');
    const appended = await imap.app.get(MailStore).append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'from elsewhere' }) });
    expect(appended.uid).toBe(2);
    const first = await client.command('UID STORE 2 +FLAGS (\\Flagged)');
    expect(first).not.toContain('FETCH');
    expect(first).toMatch(/\* 2 EXISTS\r\n(\* \d+ RECENT\r\n)?t\d+ OK/);
    const second = await client.command('UID STORE 2 +FLAGS (\\Flagged)');
    expect(second).toMatch(/\* 2 FETCH \(UID 2 FLAGS \([^)]*\\Flagged[^)]*\)\)/);
    client.close();
  });
});
