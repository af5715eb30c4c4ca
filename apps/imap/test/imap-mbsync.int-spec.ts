import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sql } from '@mailroom/db';
import { MailStore } from '@mailroom/mailstore';
import { createTestMailbox, sampleMessage, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { startImap, type ImapHarness } from './imap-harness';

const MBSYNC = '/usr/bin/mbsync';
const run = promisify(execFile);
if (!existsSync(MBSYNC)) console.warn(`mbsync not found at ${MBSYNC} (Debian's isync): the mbsync test is skipped`);

/**
 * mbsync (isync 1.4) syncing a mailbox both ways against our server: new messages and folders
 * on each side reach the other, flags come along, and a second run finds nothing to do (no
 * APPEND, STORE or EXPUNGE on the server: every folder's UIDNEXT and HIGHESTMODSEQ stay, and the
 * local Maildir keeps the same files).
 */
describe.skipIf(!existsSync(MBSYNC))('IMAP with mbsync', () => {
  let imap: ImapHarness;
  let box: TestMailbox;
  let dir: string;

  beforeAll(async () => {
    imap = await startImap();
    box = await createTestMailbox(imap.app);
    const store = imap.app.get(MailStore);
    await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'server one' }), flags: ['\\Seen'] });
    await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'server two' }), flags: ['\\Flagged'] });
    await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'server three' }) });
    await store.append({ mailboxId: box.mailboxId, folder: 'Sent', raw: sampleMessage({ subject: 'server sent' }), flags: ['\\Seen'] });

    dir = mkdtempSync(join(tmpdir(), 'mailroom-mbsync-'));
    const maildir = join(dir, 'mail');
    for (const folder of ['INBOX', 'Local']) for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, folder, sub), { recursive: true });
    writeFileSync(join(maildir, 'INBOX', 'new', '1764000000.1_1.near'), sampleMessage({ subject: 'near one' }));
    writeFileSync(join(maildir, 'INBOX', 'cur', '1764000000.2_1.near:2,S'), sampleMessage({ subject: 'near two, seen' }));
    writeFileSync(join(maildir, 'Local', 'new', '1764000000.3_1.near'), sampleMessage({ subject: 'near folder' }));
    writeFileSync(
      join(dir, 'mbsyncrc'),
      [
        'IMAPAccount mailroom',
        'Host 127.0.0.1',
        `Port ${imap.port}`,
        `User ${box.address}`,
        `Pass ${box.password}`,
        'SSLType None',
        'AuthMechs PLAIN',
        '',
        'IMAPStore far',
        'Account mailroom',
        '',
        'MaildirStore near',
        `Path ${maildir}/`,
        `Inbox ${maildir}/INBOX`,
        'SubFolders Verbatim',
        '',
        'Channel sync',
        'Far :far:',
        'Near :near:',
        'Patterns *',
        'Create Both',
        'Expunge Both',
        'SyncState *',
        'Sync All',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await imap?.close();
  });

  const mbsync = () => run(MBSYNC, ['-c', join(dir, 'mbsyncrc'), '-a'], { timeout: 60_000 });

  /** Every folder of the mailbox with its counters and messages (UID, flags), as stored. */
  async function serverState() {
    return imap.app.get(Sql).query<{ name: string; uid_next: number; highest_modseq: string; messages: Array<{ uid: number; flags: string[] }> | null }>(
      `SELECT f.name, f.uid_next, f.highest_modseq,
              (SELECT json_agg(json_build_object('uid', s.uid, 'flags', s.flags) ORDER BY s.uid) FROM stored_mail s WHERE s.folder_id = f.id) AS messages
         FROM folders f WHERE f.mailbox_id = $1 ORDER BY f.name`,
      [box.mailboxId],
    );
  }

  const localFiles = () =>
    readdirSync(join(dir, 'mail'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => join(e.parentPath, e.name).slice(dir.length))
      .sort();

  it('syncs both ways, then a second run changes nothing', async () => {
    await mbsync();
    const afterFirst = await serverState();
    const inbox = afterFirst.find((f) => f.name === 'INBOX')!;
    expect(inbox.messages).toHaveLength(5);
    // The near side's seen message arrived with \Seen; the far side's flags went to the Maildir.
    expect(inbox.messages!.filter((m) => m.flags.includes('\\Seen'))).toHaveLength(2);
    expect(afterFirst.find((f) => f.name === 'Local')?.messages).toHaveLength(1);
    const files = localFiles();
    expect(files.filter((f) => f.startsWith('/mail/INBOX/'))).toHaveLength(5);
    expect(files.filter((f) => f.startsWith('/mail/Sent/'))).toHaveLength(1);
    expect(files.filter((f) => /\/mail\/INBOX\/(cur|new)\/.*:2,[A-Z]*F/.test(f)), files.join('\n')).toHaveLength(1);

    await mbsync();
    expect(await serverState()).toEqual(afterFirst);
    expect(localFiles()).toEqual(files);
  });
});
