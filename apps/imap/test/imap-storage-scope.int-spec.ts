import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapStorage, type ImapUser } from '../src/storage/imap-storage';
import { createTestMailbox, sampleMessage } from '../../../libs/mailstore/test/mailbox-fixture';
import { startImap, type ImapHarness } from './imap-harness';

describe('IMAP storage adapter: one mailbox cannot reach another mailbox folder by its id', () => {
  let imap: ImapHarness;
  let storage: ImapStorage;
  let owner: ImapUser;
  let stranger: ImapUser;
  let folderId: string;

  beforeAll(async () => {
    imap = await startImap();
    storage = imap.app.get(ImapStorage);
    const a = await createTestMailbox(imap.app);
    const b = await createTestMailbox(imap.app);
    owner = (await storage.authenticate(a.address, a.password))!;
    stranger = (await storage.authenticate(b.address, b.password))!;
    for (const subject of ['one', 'two']) folderId = (await storage.append(owner, 'INBOX', sampleMessage({ subject }), ['Secret'])).folderId;
  });
  afterAll(() => imap?.close());

  it('reads nothing of the folder, even right after its owner filled the keyword cache', async () => {
    expect((await storage.open(owner, 'INBOX', { claimRecent: false }))?.keywords).toEqual(['Secret']);
    const theirs = (await storage.open(stranger, 'INBOX', { claimRecent: false }))!;
    expect(theirs.folderId).not.toBe(folderId);
    expect(theirs.keywords).toEqual([]);
    expect(await storage.snapshot(stranger, folderId)).toBeNull();
    expect(await storage.state(stranger, folderId)).toBeNull();
    expect(await storage.changesSince(stranger, folderId, 0)).toBeNull();
    expect(await storage.firstUnseenUid(stranger, folderId)).toBeNull();
    expect(await storage.messages(stranger, folderId, [1, 2], { raw: true, structure: true, summary: true })).toEqual([]);
    expect(await storage.search(stranger, folderId, { op: 'true' }, 10)).toEqual([]);
  });

  it('changes nothing of the folder and cannot copy out of it', async () => {
    const before = await storage.state(owner, folderId);
    expect(await storage.storeFlags(stranger, { folderId, uids: [1, 2], operation: 'add', flags: ['\\Deleted'] })).toEqual({ messages: [], modified: [] });
    expect(await storage.expunge(stranger, folderId, [1, 2])).toEqual([]);
    expect(await storage.claimRecent(stranger, folderId)).toEqual({ from: 0, to: 0 });
    const trash = (await storage.findFolder(stranger, 'Trash'))!;
    await expect(storage.copy(stranger, folderId, [1, 2], trash.id, true)).rejects.toMatchObject({ code: 'folder_not_found' });
    expect(await storage.state(owner, folderId)).toEqual(before);
    expect((await storage.messages(owner, folderId, [1, 2], {})).map((m) => [m.uid, m.flags])).toEqual([
      [1, ['Secret']],
      [2, ['Secret']],
    ]);
  });
});
