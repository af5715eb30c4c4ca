import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Sql } from '@mailroom/db';
import { createLogger } from '@mailroom/logger';
import { MailNotifier, MailStore, MailStoreModule, type FolderChange } from '@mailroom/mailstore';
import { PlatformModule } from '@mailroom/platform';
import { createTestDatabase, testConfig, type TestDatabase } from '@mailroom/testing';
import { Client } from 'pg';
import { laneOf } from '../src/mail-store';
import { createTestMailbox, sampleMessage } from './mailbox-fixture';

describe('MailStore.append', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let other: INestApplicationContext;
  let store: MailStore;
  let sql: Sql;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = testConfig(db.url);
    const context = () =>
      NestFactory.createApplicationContext(
        { module: class MailStoreTestRoot {}, imports: [PlatformModule.forRoot(config, createLogger('silent', 'test')), MailStoreModule] },
        { logger: false },
      );
    app = await context();
    other = await context();
    store = app.get(MailStore);
    sql = app.get(Sql);
  });
  afterAll(async () => {
    await app?.close();
    await other?.close();
    await db?.drop();
  });

  it('files a message with increasing UIDs and precomputed fields', async () => {
    const box = await createTestMailbox(app);
    const first = await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: '=?utf-8?q?caf=C3=A9?=' }), flags: ['\\seen', 'Label'] });
    const second = await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: Buffer.from('Subject: bare\n\nlf only\n') });
    expect(first.uid).toBe(1);
    expect(second.uid).toBe(2);
    expect(second.folderId).toBe(first.folderId);
    expect(second.uidValidity).toBe(first.uidValidity);
    const rows = await sql.query<{ uid: number; flags: string[]; subject: string; from_address: string; size: number; raw: Buffer; modseq: string; body_structure: { bodyStart: number } }>(
      'SELECT uid, flags, subject, from_address, size, raw, modseq, body_structure FROM stored_mail WHERE folder_id = $1 ORDER BY uid',
      [first.folderId],
    );
    expect(rows[0]).toMatchObject({ uid: 1, flags: ['\\Seen', 'Label'], subject: 'café', from_address: 'Sender <sender@example.com>' });
    expect(rows[1].raw.toString()).toBe('Subject: bare\r\n\r\nlf only\r\n');
    expect(rows[1].size).toBe(rows[1].raw.length);
    expect(rows[1].body_structure.bodyStart).toBe(17);
    expect(Number(rows[1].modseq)).toBeGreaterThan(Number(rows[0].modseq));
  });

  it('never gives two concurrent appends the same UID', async () => {
    const box = await createTestMailbox(app);
    const otherStore = other.get(MailStore);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? store : otherStore).append({ mailboxId: box.mailboxId, folder: 'Bounces', raw: sampleMessage({ subject: `n${i}` }) })),
    );
    const uids = results.map((r) => r.uid).sort((a, b) => a - b);
    expect(uids).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // Each message has a MODSEQ of its own, growing with its UID, and the folder's is the last.
    const rows = await sql.query<{ uid: number; modseq: string; highest: string }>(
      'SELECT s.uid, s.modseq::text, f.highest_modseq::text AS highest FROM stored_mail s JOIN folders f ON f.id = s.folder_id WHERE f.mailbox_id = $1 AND f.name = $2 ORDER BY s.uid',
      [box.mailboxId, 'Bounces'],
    );
    const modseqs = rows.map((r) => BigInt(r.modseq));
    expect(new Set(modseqs).size).toBe(40);
    expect(modseqs.every((m, i) => i === 0 || m > modseqs[i - 1]!)).toBe(true);
    expect(BigInt(rows[0]!.highest)).toBe(modseqs[39]);
  });

  it('files concurrent appends in shared commits, each resolved only once committed, and fails only the append whose own work fails', async () => {
    const boxes = [await createTestMailbox(app), await createTestMailbox(app)];
    const committedWhenResolved: boolean[] = [];
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        store
          .append({
            mailboxId: boxes[i % 2]!.mailboxId,
            folder: 'INBOX',
            raw: sampleMessage({ subject: `g${i}` }),
            onFiled: async () => {
              if (i === 7) throw new Error('bad one');
            },
          })
          .then(async (filed) => {
            // Another connection sees the row as soon as the append resolves: it was committed.
            const seen = await other.get(Sql).query('SELECT 1 FROM stored_mail WHERE folder_id = $1 AND uid = $2', [filed.folderId, filed.uid]);
            committedWhenResolved.push(seen.length === 1);
            return filed;
          }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual(['Error: bad one']);
    expect(committedWhenResolved).toEqual(Array.from({ length: 29 }, () => true));
    for (const [b, box] of boxes.entries()) {
      const uids = results.flatMap((r, i) => (r.status === 'fulfilled' && i % 2 === b ? [r.value.uid] : [])).sort((x, y) => x - y);
      expect(uids).toEqual(Array.from({ length: b === 1 ? 14 : 15 }, (_, i) => i + 1));
      const rows = await sql.query<{ subject: string }>('SELECT s.subject FROM stored_mail s JOIN folders f ON f.id = s.folder_id WHERE f.mailbox_id = $1', [box.mailboxId]);
      expect(rows.map((r) => r.subject).sort()).toEqual(
        Array.from({ length: 30 }, (_, i) => i)
          .filter((i) => i % 2 === b && i !== 7)
          .map((i) => `g${i}`)
          .sort(),
      );
    }

    // Without a bad one, appends that arrive while a transaction files others share the next
    // one: rows inserted by one transaction carry its id (xmin).
    const box = await createTestMailbox(app);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: `h${i}` }) })));
    const [{ n, transactions }] = await sql.query<{ n: number; transactions: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT s.xmin::text)::int AS transactions FROM stored_mail s JOIN folders f ON f.id = s.folder_id WHERE f.mailbox_id = $1',
      [box.mailboxId],
    );
    expect(n).toBe(20);
    expect(transactions).toBeLessThanOrEqual(2);
  });

  it('stores a group of large messages whole, several statements to a group', async () => {
    const box = await createTestMailbox(app);
    // 8 × 1.5 MiB: more than one 4 MiB statement's worth, filed by concurrent appends.
    const body = (i: number) => `${String(i).repeat(76)}\r\n`.repeat(20_000);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: `big${i}`, body: body(i) }) })));
    expect(results.map((r) => r.uid).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const rows = await sql.query<{ subject: string; size: number; raw: Buffer }>(
      'SELECT s.subject, s.size, s.raw FROM stored_mail s JOIN folders f ON f.id = s.folder_id WHERE f.mailbox_id = $1 ORDER BY s.uid',
      [box.mailboxId],
    );
    expect(rows).toHaveLength(8);
    for (const row of rows) {
      const i = Number(row.subject.slice(3));
      expect(row.raw.toString('latin1').endsWith(`\r\n\r\n${body(i)}\r\n`)).toBe(true);
      expect(row.size).toBe(row.raw.length);
      expect(row.size).toBeGreaterThan(1_500_000);
    }
  });

  it('files mail for other folders while one folder waits on its row lock', async () => {
    const held = await createTestMailbox(app);
    const first = await store.append({ mailboxId: held.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'first' }) });
    // Mailboxes whose INBOX files through other lanes than the held one's.
    const others = [];
    for (let tries = 0; tries < 40 && others.length < 3; tries++) {
      const box = await createTestMailbox(app);
      if (laneOf({ mailboxId: box.mailboxId, folder: 'INBOX' }) !== laneOf({ mailboxId: held.mailboxId, folder: 'INBOX' })) others.push(box);
    }
    expect(others).toHaveLength(3);
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM folders WHERE id = $1 FOR UPDATE', [first.folderId]);
      let waitingDone = false;
      const waiting = store.append({ mailboxId: held.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'waits' }) }).then((r) => {
        waitingDone = true;
        return r;
      });
      // The held folder's append is in its transaction, blocked; the others must not queue behind it.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const filed = await Promise.all(others.map((box) => store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'free' }) })));
      expect(filed.map((r) => r.uid)).toEqual([1, 1, 1]);
      expect(waitingDone).toBe(false);
      await locker.query('COMMIT');
      expect((await waiting).uid).toBe(2);
    } finally {
      await locker.end();
    }
  });

  it('recreates a deleted standard folder with a greater UIDVALIDITY, refuses unknown folders', async () => {
    const box = await createTestMailbox(app);
    const before = await store.append({ mailboxId: box.mailboxId, folder: 'Bounces', raw: sampleMessage() });
    await sql.query('DELETE FROM folders WHERE id = $1', [before.folderId]);
    const after = await store.append({ mailboxId: box.mailboxId, folder: 'Bounces', raw: sampleMessage() });
    expect(after.folderId).not.toBe(before.folderId);
    expect(after.uid).toBe(1);
    expect(after.uidValidity).toBeGreaterThan(before.uidValidity);
    await expect(store.append({ mailboxId: box.mailboxId, folder: 'Nope', raw: sampleMessage() })).rejects.toMatchObject({ code: 'folder_not_found' });
  });

  it('announces the change to other processes', async () => {
    const box = await createTestMailbox(app);
    const inbox = await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage() });
    const notifier = other.get(MailNotifier);
    await notifier.ready();
    const heard = new Promise<FolderChange>((resolve) => notifier.watch(inbox.folderId, resolve));
    await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage() });
    await expect(heard).resolves.toMatchObject({ folderId: inbox.folderId, mailboxId: box.mailboxId, kind: 'append' });
  });
});

