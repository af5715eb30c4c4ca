import { describe, expect, it } from 'vitest';
import type { FolderChange, FolderChanges } from '@mailroom/mailstore';
import type { ImapStorage, ImapUser } from '../storage/imap-storage';
import { FolderFeeds } from './folder-feed';

const user: ImapUser = { mailboxId: 'm', address: 'user@example.com' };

/** A storage double: changes are given per MODSEQ; reads are counted. */
function fakeStorage() {
  const log: Array<{ modseq: number; uid: number; flags: string[] | null }> = [];
  let listener: ((change: FolderChange) => void) | null = null;
  const state = { reads: 0 };
  const storage = {
    watch: (_folderId: string, l: (change: FolderChange) => void) => {
      listener = l;
      return () => (listener = null);
    },
    changesSince: async (_user: ImapUser, _folderId: string, modseq: number): Promise<FolderChanges> => {
      state.reads++;
      await new Promise((r) => setTimeout(r, 5));
      const latest = new Map<number, { modseq: number; uid: number; flags: string[] | null }>();
      for (const e of log) if (e.modseq > modseq) latest.set(e.uid, e);
      const entries = [...latest.values()];
      return {
        uidValidity: 7,
        uidNext: 100,
        highestModseq: log.length ? log[log.length - 1].modseq : modseq,
        changed: entries.filter((e) => e.flags).map((e) => ({ uid: e.uid, modseq: e.modseq, flags: e.flags! })),
        expunged: entries.filter((e) => !e.flags).map((e) => ({ uid: e.uid, modseq: e.modseq })),
      };
    },
  } as unknown as ImapStorage;
  /**
   * A change by another process (a bare wake-up), by this one (`local`: it comes with its
   * messages), or by another process whose wake-up has not arrived (`unheard`).
   */
  const change = (uid: number, flags: string[] | null, how: 'remote' | 'local' | 'unheard' = 'remote') => {
    const entry = { modseq: 10 + log.length + 1, uid, flags };
    log.push(entry);
    if (how !== 'unheard') listener?.({ mailboxId: 'm', folderId: 'f', kind: 'flags', messages: how === 'local' ? [entry] : undefined });
  };
  return { storage, change, state };
}

describe('FolderFeed', () => {
  it('reads the database once for all sessions waiting on one change', async () => {
    const { storage, change, state } = fakeStorage();
    const feeds = new FolderFeeds(storage);
    const feed = feeds.acquire(user, 'f', 10);
    change(1, ['\\Seen']);
    const results = await Promise.all(Array.from({ length: 20 }, () => feed.changesSince(10, false)));
    expect(state.reads).toBe(1);
    for (const r of results) expect(r).toMatchObject({ uidValidity: 7, highestModseq: 11, changed: [{ uid: 1, flags: ['\\Seen'], modseq: 11 }] });
  });

  it('gives each session what happened after its own MODSEQ, latest state per UID', async () => {
    const { storage, change } = fakeStorage();
    const feed = new FolderFeeds(storage).acquire(user, 'f', 10);
    change(1, ['\\Seen']);
    await feed.changesSince(10, false);
    change(2, ['\\Flagged']);
    change(1, null);
    const behind = await feed.changesSince(10, false);
    expect(behind).toMatchObject({ highestModseq: 13, changed: [{ uid: 2 }], expunged: [{ uid: 1, modseq: 13 }] });
    const ahead = await feed.changesSince(12, false);
    expect(ahead).toMatchObject({ changed: [], expunged: [{ uid: 1 }] });
  });

  it('is shared while in use and closed after the last session leaves', () => {
    const { storage } = fakeStorage();
    const feeds = new FolderFeeds(storage);
    const a = feeds.acquire(user, 'f', 1);
    const b = feeds.acquire(user, 'f', 1);
    expect(a).toBe(b);
    feeds.release(a);
    expect(feeds.acquire(user, 'f', 1)).toBe(a);
    feeds.release(a);
    feeds.release(a);
    expect(feeds.acquire(user, 'f', 1)).not.toBe(a);
  });

  it("takes this process's own change as it is when it follows on from the head", async () => {
    const { storage, change, state } = fakeStorage();
    const feed = new FolderFeeds(storage).acquire(user, 'f', 10);
    change(1, ['\\Seen']);
    await feed.changesSince(10, false);
    expect(state.reads).toBe(1);
    change(1, ['\\Seen', '\\Flagged'], 'local');
    change(2, null, 'local');
    expect(await feed.changesSince(11, false)).toMatchObject({ highestModseq: 13, changed: [{ uid: 1, flags: ['\\Seen', '\\Flagged'], modseq: 12 }], expunged: [{ uid: 2, modseq: 13 }] });
    expect(state.reads).toBe(1);
  });

  it('reads the folder when a change of another process lies between', async () => {
    const { storage, change, state } = fakeStorage();
    const feed = new FolderFeeds(storage).acquire(user, 'f', 10);
    await feed.changesSince(10, false);
    const reads = state.reads;
    change(3, ['\\Deleted'], 'unheard');
    change(4, ['\\Seen'], 'local');
    expect(await feed.changesSince(10, false)).toMatchObject({ highestModseq: 12, changed: [{ uid: 3, modseq: 11 }, { uid: 4, modseq: 12 }] });
    expect(state.reads).toBe(reads + 1);
  });
});
