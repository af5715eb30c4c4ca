import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailStore } from '@mailroom/mailstore';
import { createTestMailbox, sampleMessage, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { EXTERNAL_IPV4, RawClient, startImap, startImapWithMailbox, type ImapHarness } from './imap-harness';
import { bodyOf, Pop3RawClient } from './pop3-client';

const plain = (text: string) => Buffer.from(`\0${text}`).toString('base64');

describe('POP3 protocol (RFC 1939, 2449, 5034)', () => {
  let imap: ImapHarness;
  let box: TestMailbox;
  let store: MailStore;
  /** What was appended, in order; a bare-LF message and one with dot lines among them. */
  const raws: Buffer[] = [];

  async function login(options: { localAddress?: string; box?: TestMailbox } = {}): Promise<Pop3RawClient> {
    const who = options.box ?? box;
    const { client } = await Pop3RawClient.connect(imap.pop3Port, options);
    expect(await client.command(`USER ${who.address}`)).toMatch(/^\+OK/);
    expect(await client.command(`PASS ${who.password}`)).toMatch(/^\+OK Logged in/);
    return client;
  }

  beforeAll(async () => {
    imap = await startImap({ maxBadCommands: 5, maxConnectionsPerIp: 3 });
    box = await createTestMailbox(imap.app, { password: 'pass with spaces' });
    store = imap.app.get(MailStore);
    raws.push(sampleMessage({ subject: 'one' }));
    raws.push(Buffer.from('Subject: two\n\n.starts with a dot\n..two dots\nend\n.'));
    raws.push(sampleMessage({ subject: 'three', body: 'line 1\r\nline 2\r\nline 3\r\nline 4' }));
    for (const raw of raws) await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw });
    // Not INBOX: POP3 never sees it.
    await store.append({ mailboxId: box.mailboxId, folder: 'Junk', raw: sampleMessage({ subject: 'junk' }) });
  });
  afterAll(() => imap?.close());

  it('greets without an APOP timestamp, announces its capabilities and refuses APOP', async () => {
    const { client, greeting } = await Pop3RawClient.connect(imap.pop3Port);
    expect(greeting).toBe('+OK Mailroom POP3 ready\r\n');
    const capa = await client.commandMulti('CAPA');
    expect(capa.split('\r\n').slice(1, -2)).toEqual(['CAPA', 'TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'USER', 'SASL PLAIN', 'STLS', 'IMPLEMENTATION Mailroom']);
    expect(await client.command(`APOP ${box.address} c4c9334bac560ecc979e58001b3e22fb`)).toMatch(/^-ERR \[AUTH\] APOP is not supported/);
    expect(await client.command('STAT')).toMatch(/^-ERR STAT is not valid in the AUTHORIZATION state/);
    expect(await client.command('PASS x')).toMatch(/^-ERR USER first/);
    expect(await client.command('QUIT')).toMatch(/^\+OK/);
    await client.rest();
  });

  it('STAT, LIST and UIDL see INBOX only; sizes are the octets RETR sends before dot-stuffing', async () => {
    const client = await login();
    const stat = await client.command('STAT');
    const [, count, octets] = stat.trim().split(' ');
    expect(Number(count)).toBe(3);
    const list = bodyOf(await client.commandMulti('LIST')).trim().split('\r\n');
    expect(list.map((l) => l.split(' ')[0])).toEqual(['1', '2', '3']);
    const sizes = list.map((l) => Number(l.split(' ')[1]));
    expect(sizes.reduce((a, b) => a + b)).toBe(Number(octets));
    for (let n = 1; n <= 3; n++) {
      const answer = await client.commandMulti(`RETR ${n}`);
      expect(answer.startsWith(`+OK ${sizes[n - 1]} octets\r\n`)).toBe(true);
      const body = bodyOf(answer);
      // The bytes as stored: CRLF line ends; one that lacked a final line end gets the CRLF the terminator needs.
      const expected = raws[n - 1].toString('latin1').replace(/\r?\n/g, '\r\n');
      expect(body.startsWith(expected)).toBe(true);
      expect(expected.length).toBe(sizes[n - 1]);
    }
    expect(await client.command('LIST 2')).toBe(`+OK 2 ${sizes[1]}\r\n`);
    expect(await client.command('LIST 4')).toMatch(/^-ERR no such message/);
    const uidl = bodyOf(await client.commandMulti('UIDL')).trim().split('\r\n');
    expect(uidl).toHaveLength(3);
    for (const line of uidl) expect(line).toMatch(/^\d \d+\.\d+$/);
    expect(await client.command('UIDL 3')).toBe(`+OK ${uidl[2]}\r\n`);
    expect(await client.command('QUIT')).toMatch(/^\+OK .*\(0 messages deleted\)/);
    client.close();
  });

  it('dot-stuffs lines that begin with a dot, on the wire', async () => {
    const client = await login();
    const answer = await client.commandMulti('RETR 2');
    expect(answer).toContain('\r\n\r\n..starts with a dot\r\n...two dots\r\nend\r\n..\r\n.\r\n');
    client.close();
  });

  it('TOP sends the header, the blank line and n lines of the body', async () => {
    const client = await login();
    const top = await client.commandMulti('TOP 3 2');
    expect(top).toMatch(/^\+OK/);
    expect(bodyOf(top)).toMatch(/Subject: three\r\n.*\r\n\r\nline 1\r\nline 2\r\n$/s);
    expect(bodyOf(await client.commandMulti('TOP 3 0'))).toMatch(/\r\n\r\n$/);
    expect(await client.command('TOP 3')).toMatch(/^-ERR TOP takes/);
    client.close();
  });

  it('answers pipelined commands sent in one packet, in order', async () => {
    const { client } = await Pop3RawClient.connect(imap.pop3Port);
    client.send(`USER ${box.address}\r\nPASS ${box.password}\r\nSTAT\r\nRETR 1\r\nRETR 3\r\nUIDL 1\r\nNOOP\r\nQUIT\r\n`);
    const all = await client.rest();
    const statuses = all.split('\r\n').filter((l) => /^(\+OK|-ERR)/.test(l));
    expect(statuses[0]).toMatch(/^\+OK/);
    expect(statuses[1]).toMatch(/^\+OK Logged in/);
    expect(statuses[2]).toMatch(/^\+OK 3 \d+$/);
    expect(statuses[3]).toMatch(/^\+OK \d+ octets$/);
    expect(all.indexOf('Subject: one')).toBeLessThan(all.indexOf('Subject: three'));
    expect(statuses.slice(-3)[0]).toMatch(/^\+OK 1 \d+\.\d+$/);
    expect(statuses.slice(-1)[0]).toMatch(/^\+OK .*signing off/);
  });

  it('AUTH PLAIN with an initial response, after a continuation, and cancelled with *', async () => {
    let { client } = await Pop3RawClient.connect(imap.pop3Port);
    expect(await client.command(`AUTH PLAIN ${plain(`${box.address}\0${box.password}`)}`)).toMatch(/^\+OK Logged in; 3 messages/);
    client.close();

    ({ client } = await Pop3RawClient.connect(imap.pop3Port));
    expect(await client.command('AUTH PLAIN')).toBe('+ \r\n');
    expect(await client.command(plain(`${box.address}\0${box.password}`))).toMatch(/^\+OK Logged in/);
    client.close();

    ({ client } = await Pop3RawClient.connect(imap.pop3Port));
    expect(await client.command('AUTH PLAIN')).toBe('+ \r\n');
    expect(await client.command('*')).toMatch(/^-ERR Authentication cancelled/);
    expect(await client.command(`AUTH PLAIN ${plain(`${box.address}\0wrong`)}`)).toMatch(/^-ERR \[AUTH\] Invalid user name or password/);
    expect(await client.command('AUTH PLAIN !!!')).toMatch(/^-ERR \[AUTH\] malformed/);
    expect(await client.command('AUTH CRAM-MD5')).toMatch(/^-ERR mechanism CRAM-MD5 is not supported/);
    expect(bodyOf(await client.commandMulti('AUTH'))).toBe('PLAIN\r\n');
    client.close();
  });

  it('DELE marks, RSET unmarks, and only QUIT removes: a session that just ends deletes nothing', async () => {
    const other = await createTestMailbox(imap.app);
    for (let i = 1; i <= 3; i++) await store.append({ mailboxId: other.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: `m${i}` }) });
    let client = await login({ box: other });
    expect(await client.command('DELE 1')).toMatch(/^\+OK message 1 deleted/);
    expect(await client.command('DELE 1')).toMatch(/^-ERR message 1 does not exist or is already deleted/);
    expect(await client.command('RETR 1')).toMatch(/^-ERR no such message/);
    expect(await client.command('STAT')).toMatch(/^\+OK 2 /);
    expect(bodyOf(await client.commandMulti('LIST')).split('\r\n')[0]).toMatch(/^2 /);
    expect(await client.command('RSET')).toMatch(/^\+OK maildrop has 3 messages/);
    expect(await client.command('DELE 2')).toMatch(/^\+OK/);
    client.close(); // no QUIT

    client = await login({ box: other });
    expect(await client.command('STAT')).toMatch(/^\+OK 3 /);
    const uidl = bodyOf(await client.commandMulti('UIDL')).trim().split('\r\n');
    expect(await client.command('DELE 2')).toMatch(/^\+OK/);
    expect(await client.command('QUIT')).toMatch(/^\+OK .*\(1 messages deleted\)/);
    await client.rest();

    client = await login({ box: other });
    expect(await client.command('STAT')).toMatch(/^\+OK 2 /);
    const after = bodyOf(await client.commandMulti('UIDL')).trim().split('\r\n');
    // The same ids for the messages left, renumbered from 1.
    expect(after.map((l) => l.split(' ')[1])).toEqual([uidl[0], uidl[2]].map((l) => l.split(' ')[1]));
    client.close();
  });

  it('sends every message right when reading in order past the read-ahead, big ones included, pipelined or not', async () => {
    const many = await createTestMailbox(imap.app);
    const big = Buffer.from(`Subject: big\r\n\r\n${Array.from({ length: 4000 }, (_, i) => (i % 3 ? `line ${i} ${'x'.repeat(60)}` : `.dot line ${i}`)).join('\r\n')}\r\n`);
    const bodies: Buffer[] = [];
    for (let i = 1; i <= 300; i++) bodies.push(i === 150 ? big : sampleMessage({ subject: `n${i}`, body: `.${i}` }));
    for (const raw of bodies) await store.append({ mailboxId: many.mailboxId, folder: 'INBOX', raw });
    const client = await login({ box: many });
    expect(await client.command('DELE 3')).toMatch(/^\+OK/);
    for (let n = 1; n <= 300; n++) {
      if (n === 3) {
        expect(await client.command('RETR 3')).toMatch(/^-ERR no such message/);
        continue;
      }
      const answer = await client.commandMulti(`RETR ${n}`);
      expect(answer.startsWith(`+OK ${bodies[n - 1].length} octets\r\n`)).toBe(true);
      expect(bodyOf(answer)).toBe(bodies[n - 1].toString('latin1'));
    }
    client.send(Array.from({ length: 40 }, (_, i) => `RETR ${140 + i}\r\n`).join(''));
    for (let i = 0; i < 40; i++) expect(bodyOf(await client.multi())).toBe(bodies[139 + i].toString('latin1'));
    client.close();
  });

  it('refuses a line that is too long and closes after bad commands in a row', async () => {
    const { client } = await Pop3RawClient.connect(imap.pop3Port);
    client.send(`USER ${'x'.repeat(100_000)}\r\n`);
    expect(await client.line()).toMatch(/^-ERR line too long/);
    expect(await client.command('NOOP')).toMatch(/^-ERR NOOP is not valid in the AUTHORIZATION state/);
    expect(await client.command('FROB')).toMatch(/^-ERR unknown command FROB/);
    expect(await client.command('CAPA')).toMatch(/^\+OK/); // a good command resets the count
    await client.multi().catch(() => undefined);
    for (let i = 0; i < 4; i++) expect(await client.command(`BAD${i}`)).toMatch(/^-ERR unknown command/);
    client.send('BAD5\r\n');
    expect(await client.rest()).toMatch(/^-ERR unknown command BAD5\r\n-ERR Too many bad commands; closing\r\n$/);
  });

  it('caps connections per client address, POP3 and IMAP together', async () => {
    const from = '127.0.0.77';
    const imapClient = await RawClient.connect(imap.port, { localAddress: from });
    const a = await Pop3RawClient.connect(imap.pop3Port, { localAddress: from });
    const b = await Pop3RawClient.connect(imap.pop3Port, { localAddress: from });
    const c = await Pop3RawClient.connect(imap.pop3Port, { localAddress: from });
    expect(a.greeting).toMatch(/^\+OK/);
    expect(b.greeting).toMatch(/^\+OK/);
    expect(c.greeting).toBe('-ERR [SYS/TEMP] Too many connections\r\n');
    const d = await Pop3RawClient.connect(imap.pop3Port, { localAddress: '127.0.0.78' });
    expect(d.greeting).toMatch(/^\+OK/);
    for (const x of [a, b, c, d]) x.client.close();
    imapClient.close();
  });

  it('counts failed POP3 logins with IMAP ones: a user name locked out over IMAP is refused over POP3 too', async () => {
    const victim = await createTestMailbox(imap.app);
    const from = '127.0.0.91';
    const imapClient = await RawClient.connect(imap.port, { localAddress: from });
    for (let i = 0; i < 10; i++) await imapClient.command(`LOGIN ${victim.address} guess-${i}`);
    imapClient.close();
    const { client } = await Pop3RawClient.connect(imap.pop3Port, { localAddress: from });
    await client.command(`USER ${victim.address}`);
    expect(await client.command(`PASS ${victim.password}`)).toMatch(/^-ERR \[SYS\/TEMP\] Too many failed logins/);
    client.close();
  });
});

describe('POP3 at shutdown', () => {
  it('tells connected clients and removes nothing a session had marked', async () => {
    const imap = await startImap();
    try {
      const box = await createTestMailbox(imap.app);
      await imap.app.get(MailStore).append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage() });
      const { client } = await Pop3RawClient.connect(imap.pop3Port);
      await client.login(box);
      expect(await client.command('DELE 1')).toMatch(/^\+OK/);
      const said = client.rest(10_000);
      const peer = await imap.peer();
      await imap.app.close();
      expect(await said).toBe('-ERR Server shutting down; nothing was deleted\r\n');
      const { MailReader, FolderStore } = await import('@mailroom/mailstore');
      const inbox = await peer.get(FolderStore).find(box.mailboxId, 'INBOX');
      expect((await peer.get(MailReader).snapshot(box.mailboxId, inbox!.id))!.uids).toHaveLength(1);
    } finally {
      await imap.close();
    }
  });
});

describe('POP3 idle timeout', () => {
  let imap: ImapHarness;
  beforeAll(async () => {
    imap = await startImap({ pop3IdleTimeoutMs: 300 });
  });
  afterAll(() => imap?.close());

  it('ends an idle session without removing what DELE marked', async () => {
    const box = await createTestMailbox(imap.app);
    await imap.app.get(MailStore).append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage() });
    const { client } = await Pop3RawClient.connect(imap.pop3Port);
    await client.login(box);
    expect(await client.command('DELE 1')).toMatch(/^\+OK/);
    expect(await client.rest(10_000)).toMatch(/^-ERR Disconnected for inactivity; nothing was deleted/);
    const again = await Pop3RawClient.connect(imap.pop3Port);
    await again.client.login(box);
    expect(await again.client.command('STAT')).toMatch(/^\+OK 1 /);
    again.client.close();
  });
});

describe('POP3 over TLS', () => {
  let imap: ImapHarness;
  let box: TestMailbox;
  beforeAll(async () => {
    imap = await startImap();
    box = await createTestMailbox(imap.app);
  });
  afterAll(() => imap?.close());

  it('STLS upgrades the connection and drops what was pipelined behind it', async () => {
    const { client } = await Pop3RawClient.connect(imap.pop3Port);
    client.send(`STLS\r\nUSER ${box.address}\r\n`);
    expect(await client.line()).toBe('+OK Begin TLS negotiation\r\n');
    await client.startTls();
    const capa = await client.commandMulti('CAPA');
    expect(capa).not.toContain('STLS');
    expect(await client.command('STLS')).toMatch(/^-ERR TLS is already active/);
    expect(await client.command(`PASS ${box.password}`)).toMatch(/^-ERR USER first/);
    expect(await client.command(`USER ${box.address}`)).toMatch(/^\+OK/);
    expect(await client.command(`PASS ${box.password}`)).toMatch(/^\+OK Logged in/);
    client.close();
  });

  it('POP3S speaks TLS from the first byte', async () => {
    const { client, greeting } = await Pop3RawClient.connect(imap.pop3sPort, { tls: true });
    expect(greeting).toMatch(/^\+OK/);
    expect(await client.commandMulti('CAPA')).not.toContain('STLS');
    client.close();
  });
});

const external = EXTERNAL_IPV4;

describe.skipIf(!external)('POP3 on a non-loopback address', () => {
  let imap: ImapHarness;
  let box: TestMailbox;
  beforeAll(async () => {
    ({ imap, box } = await startImapWithMailbox([], {}, { BIND_ADDRESS: '0.0.0.0' }));
  });
  afterAll(() => imap?.close());

  it('refuses USER, PASS and AUTH before STLS and offers them after', async () => {
    const { client } = await Pop3RawClient.connect(imap.pop3Port, { host: external! });
    const capa = await client.commandMulti('CAPA');
    expect(capa).toContain('STLS');
    expect(capa).not.toContain('USER');
    expect(capa).not.toContain('SASL');
    expect(await client.command(`USER ${box.address}`)).toMatch(/^-ERR \[SYS\/PERM\] Plain-text login is allowed only after STLS/);
    expect(await client.command(`PASS ${box.password}`)).toMatch(/^-ERR \[SYS\/PERM\]/);
    expect(await client.command(`AUTH PLAIN ${plain(`${box.address}\0${box.password}`)}`)).toMatch(/^-ERR \[SYS\/PERM\]/);
    expect(await client.command('STLS')).toMatch(/^\+OK/);
    await client.startTls();
    expect(await client.commandMulti('CAPA')).toContain('SASL PLAIN');
    expect(await client.command(`AUTH PLAIN ${plain(`${box.address}\0${box.password}`)}`)).toMatch(/^\+OK Logged in/);
    client.close();
  });
});
