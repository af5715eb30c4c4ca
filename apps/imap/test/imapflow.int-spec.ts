import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import { MailStore } from '@mailroom/mailstore';
import { createTestMailbox, sampleMessage, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { startImap, type ImapHarness } from './imap-harness';

describe('IMAP with imapflow', () => {
  let imap: ImapHarness;
  let box: TestMailbox;
  let store: MailStore;

  beforeAll(async () => {
    imap = await startImap();
    box = await createTestMailbox(imap.app);
    store = imap.app.get(MailStore);
    for (let i = 1; i <= 5; i++) {
      await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: `Bounce ${i}`, from: `mailer-daemon${i}@example.com`, body: `body ${i}` }) });
    }
  });
  afterAll(() => imap?.close());

  const client = (secure: boolean) =>
    new ImapFlow({
      host: '127.0.0.1',
      port: secure ? imap.tlsPort : imap.port,
      secure,
      tls: { rejectUnauthorized: false },
      auth: { user: box.address, pass: box.password },
      logger: false,
    });

  it('lists, fetches, searches, flags, moves and deletes over implicit TLS', async () => {
    const flow = client(true);
    await flow.connect();
    try {
      const folders = await flow.list();
      expect(folders.map((f) => f.path).sort()).toEqual(['Bounces', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
      expect(folders.find((f) => f.path === 'Sent')?.specialUse).toBe('\\Sent');

      const lock = await flow.getMailboxLock('INBOX');
      try {
        expect(flow.mailbox && flow.mailbox.exists).toBe(5);
        const subjects: string[] = [];
        for await (const message of flow.fetch('1:*', { envelope: true, flags: true, uid: true, bodyStructure: true, source: true })) {
          subjects.push(message.envelope!.subject!);
          expect(message.source!.toString()).toContain(`Subject: ${message.envelope!.subject}`);
          expect(message.bodyStructure!.type).toBe('text/plain');
        }
        expect(subjects).toEqual(['Bounce 1', 'Bounce 2', 'Bounce 3', 'Bounce 4', 'Bounce 5']);

        expect(await flow.search({ from: 'mailer-daemon3' }, { uid: true })).toEqual([3]);
        expect(await flow.search({ body: 'body 4' })).toEqual([4]);

        await flow.messageFlagsAdd({ uid: '1:2' }, ['\\Seen'], { uid: true });
        expect(await flow.search({ seen: false })).toEqual([3, 4, 5]);

        const moved = await flow.messageMove('5', 'Trash');
        expect(moved && moved.uidMap?.get(5)).toBe(1);
        await flow.messageDelete('4');
        expect(flow.mailbox && flow.mailbox.exists).toBe(3);

        const download = await flow.download('1', '1', { uid: true });
        const chunks: Buffer[] = [];
        for await (const chunk of download.content!) chunks.push(chunk as Buffer);
        expect(Buffer.concat(chunks).toString()).toContain('body 1');
      } finally {
        lock.release();
      }
      const status = await flow.status('Trash', { messages: true, uidNext: true });
      expect(status && status.messages).toBe(1);
      await flow.mailboxCreate(['Archive', '2026']);
      await flow.mailboxRename('Archive/2026', 'Archive/Old');
      expect((await flow.list()).map((f) => f.path)).toContain('Archive/Old');
      await flow.mailboxDelete('Archive/Old');
      const appended = await flow.append('Drafts', sampleMessage({ subject: 'draft' }), ['\\Draft']);
      expect(appended && appended.uid).toBe(1);
    } finally {
      await flow.logout();
    }
  });

  it('gets new mail pushed while idling (STARTTLS connection)', async () => {
    const flow = client(false);
    await flow.connect();
    try {
      await flow.mailboxOpen('INBOX');
      const before = flow.mailbox ? flow.mailbox.exists : 0;
      const exists = new Promise<number>((resolve) => flow.on('exists', (data: { count: number }) => resolve(data.count)));
      const idle = flow.idle();
      await new Promise((r) => setTimeout(r, 100));
      await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'new bounce' }) });
      expect(await exists).toBe(before + 1);
      await flow.noop();
      await idle.catch(() => undefined);
    } finally {
      await flow.logout();
    }
  });
});
