import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { RawClient, startImap, type ImapHarness } from './imap-harness';

/**
 * Failed logins are counted per (user, client address): 127.0.0.x are all loopback on Linux, so
 * each is a client address of its own. Default limits; a window of an hour so that nothing here
 * depends on how fast the machine is.
 */
describe('IMAP: failed login limits cannot lock a user out from elsewhere', () => {
  let imap: ImapHarness;

  beforeAll(async () => {
    imap = await startImap({ authFailureWindowSeconds: 3600 });
  });

  afterAll(async () => {
    await imap?.close();
  });

  async function login(from: string, command: string): Promise<string> {
    const client = await RawClient.connect(imap.port, { localAddress: from });
    try {
      return (await client.command(command)).trim();
    } finally {
      client.close();
    }
  }

  it('lets the owner in from their own address after 100 wrong passwords from other addresses', async () => {
    const box = await createTestMailbox(imap.app);
    expect(await login('127.0.0.3', `LOGIN ${box.address} ${box.password}`)).toMatch(/^t1 OK /);

    // Ten guessing addresses, ten wrong passwords each (the per-address limit): 100 failures,
    // which is also the ceiling for the user name from all addresses together.
    const attackers = Array.from({ length: 10 }, (_, i) => `127.0.0.${20 + i}`);
    await Promise.all(
      attackers.map(async (from) => {
        const client = await RawClient.connect(imap.port, { localAddress: from });
        for (let i = 0; i < 10; i++) expect(await client.command(`LOGIN ${box.address} guess-${i}`)).toMatch(/NO \[AUTHENTICATIONFAILED\]/);
        client.close();
      }),
    );

    // Each guessing address is refused unchecked, even with the right password.
    for (const from of attackers) expect(await login(from, `LOGIN ${box.address} ${box.password}`)).toMatch(/^t1 NO \[UNAVAILABLE\] /);
    // The owner, from the address they use, by LOGIN and by AUTHENTICATE PLAIN.
    expect(await login('127.0.0.3', `LOGIN ${box.address} ${box.password}`)).toMatch(/^t1 OK /);
    const plain = Buffer.from(`\0${box.address}\0${box.password}`).toString('base64');
    expect(await login('127.0.0.3', `AUTHENTICATE PLAIN ${plain}`)).toMatch(/^t1 OK /);
    // Past the ceiling, an address this user never logged in from waits for the window to pass.
    expect(await login('127.0.0.4', `LOGIN ${box.address} ${box.password}`)).toMatch(/^t1 NO \[UNAVAILABLE\] /);
    // Another user is not affected, even from a guessing address.
    const neighbour = await createTestMailbox(imap.app);
    expect(await login(attackers[0]!, `LOGIN ${neighbour.address} ${neighbour.password}`)).toMatch(/^t1 OK /);
  });

  it('refuses an address that sprays wrong passwords over many user names (30)', async () => {
    const box = await createTestMailbox(imap.app);
    const client = await RawClient.connect(imap.port, { localAddress: '127.0.0.60' });
    for (let i = 0; i < 30; i++) expect(await client.command(`LOGIN nobody${i}@x.test guess`)).toMatch(/NO \[AUTHENTICATIONFAILED\]/);
    expect(await client.command(`LOGIN ${box.address} ${box.password}`)).toMatch(/NO \[UNAVAILABLE\]/);
    client.close();
    expect(await login('127.0.0.61', `LOGIN ${box.address} ${box.password}`)).toMatch(/^t1 OK /);
  });
});
