import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import { Sql } from '@mailroom/db';
import { MailStore } from '@mailroom/mailstore';
import { createTestMailbox, sampleMessage, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { startImap, type ImapHarness } from './imap-harness';

const CLIENTS = 10;
const OPERATIONS = 30;
const FOLDERS = ['INBOX', 'Work', 'Work/Reports', 'Lists'];

/** A small deterministic generator, so a failing run can be repeated operation for operation. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

/**
 * Ten imapflow sessions of one user run a mixed workload (APPEND, SELECT, FETCH, STORE,
 * EXPUNGE, LIST, STATUS) over four folders, a bounded number of operations each (not a timed
 * run). No command may be answered NO or BAD, and afterwards every folder holds exactly the
 * messages appended minus those expunged, with ascending unique UIDs below UIDNEXT, the flags
 * the clients set, and STATUS, a fresh SELECT and the database agreeing.
 */
describe('IMAP under concurrent sessions', () => {
  let imap: ImapHarness;
  let box: TestMailbox;

  beforeAll(async () => {
    imap = await startImap({ maxConnectionsPerIp: 50 });
    box = await createTestMailbox(imap.app);
    const store = imap.app.get(MailStore);
    const flow = connect(() => undefined);
    await flow.connect();
    for (const folder of FOLDERS) if (folder !== 'INBOX') await flow.mailboxCreate(folder);
    await flow.logout();
    for (const folder of FOLDERS) for (let i = 0; i < 3; i++) await store.append({ mailboxId: box.mailboxId, folder, raw: sampleMessage({ subject: `${folder} seed ${i}` }) });
  });
  afterAll(() => imap?.close());

  function connect(onServerLine: (line: string) => void): ImapFlow {
    const record = (entry: { src?: string; msg?: string }) => {
      if (entry.src === 's' && entry.msg) onServerLine(entry.msg);
    };
    return new ImapFlow({
      host: '127.0.0.1',
      port: imap.port,
      secure: false,
      tls: { rejectUnauthorized: false },
      auth: { user: box.address, pass: box.password },
      logger: { debug: record, info: record, warn: record, error: record },
    });
  }

  it(`${CLIENTS} sessions, ${OPERATIONS} operations each: no NO or BAD, and consistent UIDs, flags and counts`, async () => {
    const refusals: string[] = [];
    const failures: string[] = [];
    const appended = new Map<string, Set<number>>(FOLDERS.map((f) => [f, new Set()]));
    const expunged = new Map<string, Set<number>>(FOLDERS.map((f) => [f, new Set()]));
    const flagged = new Map<string, Set<number>>(FOLDERS.map((f) => [f, new Set()]));
    const counts: Record<string, number> = {};

    const worker = async (index: number) => {
      const next = random(index + 1);
      const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
      const flow = connect((line) => {
        if (/^\S+ (NO|BAD)\b/.test(line)) refusals.push(`client ${index}: ${line}`);
      });
      await flow.connect();
      const mine = new Map<string, number[]>(FOLDERS.map((f) => [f, []]));
      try {
        for (let op = 0; op < OPERATIONS; op++) {
          const folder = pick(FOLDERS);
          const kind = pick(['append', 'append', 'select', 'fetch', 'store', 'expunge', 'list', 'status'] as const);
          counts[kind] = (counts[kind] ?? 0) + 1;
          try {
            if (kind === 'append') {
              const result = await flow.append(folder, sampleMessage({ subject: `client ${index} op ${op}` }), next() < 0.5 ? ['\\Seen'] : []);
              if (!result || !result.uid) throw new Error('APPEND gave no APPENDUID');
              appended.get(folder)!.add(result.uid);
              mine.get(folder)!.push(result.uid);
            } else if (kind === 'list') {
              const folders = await flow.list();
              for (const name of FOLDERS) if (!folders.some((f) => f.path === name)) throw new Error(`LIST lacks ${name}`);
            } else if (kind === 'status') {
              const status = await flow.status(folder, { messages: true, uidNext: true, unseen: true });
              if (!status || typeof status.messages !== 'number') throw new Error('STATUS without MESSAGES');
            } else {
              const lock = await flow.getMailboxLock(folder);
              try {
                if (kind === 'fetch') {
                  let last = 0;
                  for await (const message of flow.fetch('1:*', { uid: true, flags: true, size: true })) {
                    // imapflow also yields the unsolicited FETCH (FLAGS) that report other sessions'
                    // changes before the tagged answer; only the answers carry RFC822.SIZE.
                    if (message.size === undefined) continue;
                    if (message.uid <= last) throw new Error(`FETCH UIDs not ascending in ${folder}: ${message.uid} after ${last}`);
                    last = message.uid;
                  }
                } else if (kind === 'store') {
                  const uid = pick([...appended.get(folder)!]);
                  if (uid !== undefined && !expunged.get(folder)!.has(uid)) {
                    // The UID may be another session's APPEND that this session has not been told
                    // of yet: a UID STORE ignores messages outside the session's view (Dovecot
                    // too), so the NOOP first brings the view up to every APPENDUID answered.
                    await flow.noop();
                    await flow.messageFlagsAdd(String(uid), ['\\Flagged', '$Checked'], { uid: true });
                    flagged.get(folder)!.add(uid);
                  }
                } else if (kind === 'expunge') {
                  // Only this client's own messages, so that no two clients race for one.
                  const own = mine.get(folder)!;
                  const uid = own.shift();
                  if (uid !== undefined) {
                    await flow.messageDelete(String(uid), { uid: true });
                    expunged.get(folder)!.add(uid);
                  }
                }
              } finally {
                lock.release();
              }
            }
          } catch (error) {
            failures.push(`client ${index} op ${op} ${kind} ${folder}: ${(error as Error).message}`);
          }
        }
      } finally {
        await flow.logout();
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => worker(i)));
    console.log(`concurrent IMAP workload: ${CLIENTS} clients x ${OPERATIONS} operations`, counts);

    expect(failures).toEqual([]);
    expect(refusals).toEqual([]);

    const sql = imap.app.get(Sql);
    const check = connect(() => undefined);
    await check.connect();
    try {
      for (const folder of FOLDERS) {
        const rows = await sql.query<{ uid: number; flags: string[] }>(
          'SELECT s.uid, s.flags FROM stored_mail s JOIN folders f ON f.id = s.folder_id WHERE f.mailbox_id = $1 AND f.name = $2 ORDER BY s.uid',
          [box.mailboxId, folder],
        );
        const stored = rows.map((r) => r.uid);
        // The three seed messages (UIDs 1-3), every APPENDUID, minus every message expunged.
        const expected = [1, 2, 3, ...appended.get(folder)!].filter((uid) => !expunged.get(folder)!.has(uid)).sort((a, b) => a - b);
        expect(stored, folder).toEqual(expected);
        for (const uid of flagged.get(folder)!) {
          const row = rows.find((r) => r.uid === uid);
          if (row) expect(row.flags, `${folder} ${uid}`).toEqual(expect.arrayContaining(['\\Flagged', '$Checked']));
        }

        const status = await check.status(folder, { messages: true, uidNext: true, unseen: true });
        if (!status) throw new Error(`no STATUS for ${folder}`);
        expect(status.messages, folder).toBe(stored.length);
        expect(status.unseen, folder).toBe(rows.filter((r) => !r.flags.includes('\\Seen')).length);
        expect(status.uidNext, folder).toBeGreaterThan(Math.max(0, ...stored));

        const lock = await check.getMailboxLock(folder);
        try {
          const seen: Array<{ uid: number; flags: string[] }> = [];
          for await (const message of check.fetch('1:*', { uid: true, flags: true })) seen.push({ uid: message.uid, flags: [...(message.flags ?? [])].filter((f) => f !== '\\Recent').sort() });
          expect(seen.map((m) => m.uid), folder).toEqual(stored);
          expect(seen.map((m) => m.flags), folder).toEqual(rows.map((r) => [...r.flags].sort()));
          if (flagged.get(folder)!.size) expect(check.mailbox && [...(check.mailbox.flags ?? [])], folder).toContain('$Checked');
        } finally {
          lock.release();
        }
      }
    } finally {
      await check.logout();
    }
  });
});
