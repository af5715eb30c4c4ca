import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { RawClient, recordingImapFlow, startImapWithMailbox, type ImapHarness } from './imap-harness';

const PAYLOAD = Buffer.from([0x00, 0x01, 0xff, 0x0d, 0x0a, 0x41, 0x00, 0x42]);
const MESSAGE = [
  'From: a@example.com',
  'Subject: binary parts',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'caf=C3=A9 =3D soft=',
  ' break',
  '--b',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: base64',
  '',
  PAYLOAD.toString('base64'),
  '--b',
  'Content-Type: application/x-odd',
  'Content-Transfer-Encoding: x-uuencode',
  '',
  'begin 644 x',
  '--b--',
  '',
].join('\r\n');

/** BINARY (RFC 3516): FETCH BINARY[...], BINARY.SIZE, literal8 both ways; and imapflow's download through it. */
describe('IMAP BINARY', () => {
  let imap: ImapHarness;
  let box: TestMailbox;
  let client: RawClient;

  beforeAll(async () => {
    ({ imap, box } = await startImapWithMailbox([Buffer.from(MESSAGE)]));
    client = await RawClient.connect(imap.port);
    expect(await client.command(`LOGIN ${box.address} ${box.password}`)).toContain(' BINARY');
    await client.command('SELECT INBOX');
  });
  afterAll(async () => {
    client?.close();
    await imap?.close();
  });

  it('undoes base64 and quoted-printable, sends a literal8 when there is a NUL, and gives decoded sizes', async () => {
    const text = await client.command('FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])');
    expect(text).toContain(`* 1 FETCH (BINARY[1] {${Buffer.byteLength('café = soft break')}}\r\ncafé = soft break BINARY.SIZE[1] ${Buffer.byteLength('café = soft break')})`);
    const raw = await client.command('FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[2]<1.3>)');
    expect(raw).toContain(`BINARY[2] ~{${PAYLOAD.length}}\r\n`);
    expect(raw).toContain(`BINARY.SIZE[2] ${PAYLOAD.length} BINARY[2]<1> {3}\r\n`);
    expect(await client.command('FETCH 1 (BINARY.PEEK[9])')).toContain('* 1 FETCH (BINARY[9] NIL)');
    expect(await client.command('FETCH 1 (BINARY.PEEK[3])')).toMatch(/^t\d+ NO \[UNKNOWN-CTE\]/m);
    expect(await client.command('FETCH 1 (BINARY[1.MIME])')).toMatch(/^t\d+ BAD/m);
    expect(await client.command('FETCH 1 (BINARY.SIZE[1]<0.2>)')).toMatch(/^t\d+ BAD/m);
    // Without PEEK the message becomes \Seen.
    expect(await client.command('FETCH 1 (BINARY[1])')).toMatch(/FLAGS \(\\Seen/);
  });

  it('takes a literal8 in APPEND and returns the bytes as sent', async () => {
    const message = Buffer.concat([Buffer.from('Subject: nul inside\r\n\r\nab'), Buffer.from([0]), Buffer.from('cd\r\n')]);
    client.send(Buffer.concat([Buffer.from(`A1 APPEND INBOX ~{${message.length}+}\r\n`), message, Buffer.from('\r\n')]));
    expect(await client.waitFor(/^A1 (OK|NO|BAD)[^\r]*\r\n/m)).toMatch(/^A1 OK \[APPENDUID \d+ 2\]/m);
    const fetched = await client.command('UID FETCH 2 (BINARY.PEEK[])');
    expect(fetched).toContain(`BINARY[] ~{${message.length}}\r\n${message.toString('latin1')}`);
  });

  it('imapflow downloads a part through BINARY', async () => {
    const { flow, sent } = recordingImapFlow(imap.port, box);
    await flow.connect();
    try {
      const lock = await flow.getMailboxLock('INBOX');
      try {
        const message = await flow.fetchOne('1', { bodyParts: ['2'] }, { binary: true });
        expect(message && message.bodyParts?.get('2')).toEqual(PAYLOAD);
      } finally {
        lock.release();
      }
    } finally {
      await flow.logout();
    }
    expect(sent.join('\n')).toMatch(/FETCH 1 \(.*BINARY\.PEEK\[2\]/);
  });
});
