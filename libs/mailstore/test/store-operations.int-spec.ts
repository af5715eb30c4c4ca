import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { createLogger } from '@mailroom/logger';
import { FolderStore, MailReader, MailStore, MailStoreModule } from '@mailroom/mailstore';
import { PlatformModule } from '@mailroom/platform';
import { createTestDatabase, testConfig, type TestDatabase } from '@mailroom/testing';
import { createTestMailbox, sampleMessage } from './mailbox-fixture';

describe('mail store operations', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let store: MailStore;
  let reader: MailReader;
  let folders: FolderStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await NestFactory.createApplicationContext(
      { module: class StoreOpsRoot {}, imports: [PlatformModule.forRoot(testConfig(db.url), createLogger('silent', 'test')), MailStoreModule] },
      { logger: false },
    );
    store = app.get(MailStore);
    reader = app.get(MailReader);
    folders = app.get(FolderStore);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  async function inboxWith(n: number) {
    const box = await createTestMailbox(app);
    let folderId = '';
    for (let i = 0; i < n; i++) folderId = (await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: `m${i}` }) })).folderId;
    return { box, folderId };
  }

  it('changes flags with one new MODSEQ, only where they change, and honours UNCHANGEDSINCE', async () => {
    const { box, folderId } = await inboxWith(3);
    const before = (await reader.state(box.mailboxId, folderId))!.highestModseq;
    const added = await store.storeFlags({ mailboxId: box.mailboxId, folderId, uids: [1, 2], operation: 'add', flags: ['\\seen', 'Work'] });
    expect(added.messages.map((m) => [m.uid, [...m.flags].sort(), m.modseq, m.changed])).toEqual([
      [1, ['Work', '\\Seen'], before + 1, true],
      [2, ['Work', '\\Seen'], before + 1, true],
    ]);
    const again = await store.storeFlags({ mailboxId: box.mailboxId, folderId, uids: [1], operation: 'add', flags: ['\\Seen'] });
    expect(again.messages[0].changed).toBe(false);
    expect((await reader.state(box.mailboxId, folderId))!.highestModseq).toBe(before + 1);
    const guarded = await store.storeFlags({ mailboxId: box.mailboxId, folderId, uids: [1, 3], operation: 'set', flags: ['\\Flagged'], unchangedSince: before });
    expect(guarded.modified).toEqual([1]);
    expect(guarded.messages.find((m) => m.uid === 3)).toMatchObject({ flags: ['\\Flagged'], changed: true });
    await expect(store.storeFlags({ mailboxId: box.mailboxId, folderId, uids: [1], operation: 'add', flags: ['bad keyword'] })).rejects.toMatchObject({ code: 'invalid_flag' });
  });

  it('expunges only \\Deleted messages and records them for other sessions', async () => {
    const { box, folderId } = await inboxWith(3);
    const modseq = (await reader.state(box.mailboxId, folderId))!.highestModseq;
    await store.storeFlags({ mailboxId: box.mailboxId, folderId, uids: [2, 3], operation: 'add', flags: ['\\Deleted'] });
    expect(await store.expunge(box.mailboxId, folderId, [1, 2])).toEqual([2]);
    expect(await store.expunge(box.mailboxId, folderId, [1])).toEqual([]);
    const changes = (await reader.changesSince(box.mailboxId, folderId, modseq))!;
    expect(changes.expunged.map((e) => e.uid)).toEqual([2]);
    expect(changes.changed.map((c) => c.uid)).toEqual([3]);
    expect((await reader.snapshot(box.mailboxId, folderId))!.uids).toEqual([1, 3]);
  });

  it('copies and moves with new UIDs in a block, within one mailbox only', async () => {
    const { box, folderId } = await inboxWith(3);
    const trash = (await folders.find(box.mailboxId, 'Trash'))!;
    const copied = await store.copy({ mailboxId: box.mailboxId, fromFolderId: folderId, toFolderId: trash.id, uids: [1, 3, 99] });
    expect(copied.mapping).toEqual([[1, 1], [3, 2]]);
    const moved = await store.copy({ mailboxId: box.mailboxId, fromFolderId: folderId, toFolderId: trash.id, uids: [2], move: true });
    expect(moved).toMatchObject({ mapping: [[2, 3]], expunged: [2], uidValidity: trash.uidValidity });
    expect((await reader.snapshot(box.mailboxId, trash.id))!.uids).toEqual([1, 2, 3]);
    const [message] = await reader.messages(box.mailboxId, trash.id, [3], { raw: true, structure: true, summary: true });
    expect(message).toMatchObject({ subject: 'm1' });
    const stranger = await createTestMailbox(app);
    await expect(store.copy({ mailboxId: stranger.mailboxId, fromFolderId: folderId, toFolderId: trash.id, uids: [1] })).rejects.toMatchObject({ code: 'folder_not_found' });
  });

  it('reads and changes nothing of a folder through another mailbox, even with its folder id', async () => {
    const { box, folderId } = await inboxWith(2);
    await store.storeFlags({ mailboxId: box.mailboxId, folderId, uids: [1], operation: 'add', flags: ['Secret', '\\Deleted'] });
    const owner = (await reader.state(box.mailboxId, folderId))!;
    const stranger = (await createTestMailbox(app)).mailboxId;
    expect(await reader.state(stranger, folderId)).toBeNull();
    expect(await reader.snapshot(stranger, folderId)).toBeNull();
    expect(await reader.changesSince(stranger, folderId, 0)).toBeNull();
    expect(await reader.messages(stranger, folderId, [1, 2], { raw: true, structure: true, summary: true })).toEqual([]);
    expect(await reader.messages(stranger, folderId, [2, 1])).toEqual([]);
    expect(await reader.search(stranger, folderId, { op: 'true' }, 10)).toEqual([]);
    expect(await reader.keywords(stranger, folderId)).toEqual([]);
    expect(await reader.firstUnseenUid(stranger, folderId)).toBeNull();
    expect(await reader.claimRecent(stranger, folderId)).toEqual({ from: 0, to: 0 });
    const flagged = await store.storeFlags({ mailboxId: stranger, folderId, uids: [1, 2], operation: 'set', flags: [] });
    expect(flagged).toEqual({ messages: [], modified: [] });
    expect(await store.expunge(stranger, folderId, [1, 2])).toEqual([]);
    // The owner's folder is untouched: same counters, same messages, same flags.
    expect(await reader.state(box.mailboxId, folderId)).toEqual(owner);
    expect((await reader.snapshot(box.mailboxId, folderId))!.uids).toEqual([1, 2]);
    expect((await reader.messages(box.mailboxId, folderId, [1]))[0].flags).toEqual(expect.arrayContaining(['Secret', '\\Deleted']));
    expect(await reader.keywords(box.mailboxId, folderId)).toEqual(['Secret']);
  });

  it('creates, renames and deletes folders; a name used again gets a greater UIDVALIDITY', async () => {
    const box = await createTestMailbox(app);
    await folders.createPath(box.mailboxId, 'Projects/2026/Q1');
    expect((await folders.list(box.mailboxId)).map((f) => f.name)).toEqual(expect.arrayContaining(['Projects', 'Projects/2026', 'Projects/2026/Q1']));
    await expect(folders.delete(box.mailboxId, 'Projects')).rejects.toMatchObject({ code: 'folder_has_children' });
    await expect(folders.delete(box.mailboxId, 'INBOX')).rejects.toMatchObject({ code: 'folder_inbox' });
    const q1 = (await folders.find(box.mailboxId, 'Projects/2026/Q1'))!;
    await folders.rename(box.mailboxId, 'Projects', 'Archive/Projects');
    const renamed = (await folders.find(box.mailboxId, 'Archive/Projects/2026/Q1'))!;
    expect(renamed).toMatchObject({ id: q1.id, uidValidity: q1.uidValidity });
    await folders.delete(box.mailboxId, 'Archive/Projects/2026/Q1');
    await folders.createPath(box.mailboxId, 'Archive/Projects/2026/Q1');
    expect((await folders.find(box.mailboxId, 'Archive/Projects/2026/Q1'))!.uidValidity).toBeGreaterThan(q1.uidValidity);
    await expect(folders.createPath(box.mailboxId, 'bad//name')).rejects.toMatchObject({ code: 'invalid_folder_name' });
    const status = await folders.status(box.mailboxId, 'INBOX');
    expect(status).toMatchObject({ messages: 0, unseen: 0, recent: 0, uidNext: 1 });
  });
});
