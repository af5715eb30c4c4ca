import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '@mailroom/crypto';
import { Sql } from '@mailroom/db';
import { createTestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { ImapStorage } from '../src/storage/imap-storage';
import { RawClient, startImap, type ImapHarness } from './imap-harness';

/**
 * A password verified within the last minute spares the next login its scrypt (the cache's hit
 * counter says which path a login took; nothing here depends on timing), a wrong password never
 * matches, and a password changed in the database no longer does.
 */
describe('IMAP: cache of verified credentials', () => {
  let imap: ImapHarness;
  let storage: ImapStorage;

  beforeAll(async () => {
    imap = await startImap({ authFailureWindowSeconds: 3600 });
    storage = imap.app.get(ImapStorage);
  });

  afterAll(async () => {
    await imap?.close();
  });

  async function login(command: string): Promise<string> {
    const client = await RawClient.connect(imap.port);
    try {
      return (await client.command(command)).trim();
    } finally {
      client.close();
    }
  }

  const counts = () => ({ hits: storage.credentials.hits, misses: storage.credentials.misses });

  it('takes the fast path on the second login only, and never for a wrong or changed password', async () => {
    const box = await createTestMailbox(imap.app);
    const start = counts();

    expect(await login(`LOGIN ${box.address} ${box.password}`)).toMatch(/^t1 OK /);
    expect(counts()).toEqual({ hits: start.hits, misses: start.misses + 1 });

    expect(await login(`LOGIN ${box.address} ${box.password}`)).toMatch(/^t1 OK /);
    expect(counts()).toEqual({ hits: start.hits + 1, misses: start.misses + 1 });

    // AUTHENTICATE PLAIN (and POP3) check passwords the same way.
    const plain = Buffer.from(`\0${box.address}\0${box.password}`).toString('base64');
    expect(await login(`AUTHENTICATE PLAIN ${plain}`)).toMatch(/^t1 OK /);
    expect(counts().hits).toBe(start.hits + 2);

    // A wrong password, even one sharing a prefix with the right one, is checked with scrypt and fails.
    expect(await login(`LOGIN ${box.address} ${box.password}x`)).toMatch(/^t1 NO \[AUTHENTICATIONFAILED\]/);
    expect(await login(`LOGIN ${box.address} ${box.password.slice(0, -1)}`)).toMatch(/^t1 NO \[AUTHENTICATIONFAILED\]/);
    expect(counts()).toEqual({ hits: start.hits + 2, misses: start.misses + 3 });

    // The password changes (in the database, as any process would change it): the old one is
    // refused at once, within the cache's minute, and the new one is verified with scrypt first.
    await imap.app.get(Sql).query('UPDATE mailboxes SET password_hash = $2 WHERE id = $1', [box.mailboxId, await hashPassword('the-new-password')]);
    expect(await login(`LOGIN ${box.address} ${box.password}`)).toMatch(/^t1 NO \[AUTHENTICATIONFAILED\]/);
    expect(counts().hits).toBe(start.hits + 2);
    expect(await login(`LOGIN ${box.address} the-new-password`)).toMatch(/^t1 OK /);
    expect(counts()).toEqual({ hits: start.hits + 2, misses: start.misses + 5 });
    expect(await login(`LOGIN ${box.address} the-new-password`)).toMatch(/^t1 OK /);
    expect(counts().hits).toBe(start.hits + 3);
  });

  it('keeps the password cached for one mailbox from opening another', async () => {
    const a = await createTestMailbox(imap.app, { password: 'shared-password-1' });
    const b = await createTestMailbox(imap.app, { password: 'other-password-2' });
    expect(await login(`LOGIN ${a.address} shared-password-1`)).toMatch(/^t1 OK /);
    expect(await login(`LOGIN ${b.address} shared-password-1`)).toMatch(/^t1 NO \[AUTHENTICATIONFAILED\]/);
    expect(await login(`LOGIN ${b.address} other-password-2`)).toMatch(/^t1 OK /);
  });
});
