import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailStore } from '@mailroom/mailstore';
import { sampleMessage, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { mailboxWith, RawClient, startImap, type ImapHarness } from './imap-harness';
import { bodyOf, Pop3RawClient } from './pop3-client';

/** Python's poplib, run as a child process: an independent POP3 client, plain, STLS and POP3S. */
const POPLIB = String.raw`
import json, poplib, ssl, sys
port, tls_port, user, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
out = {}
p = poplib.POP3('127.0.0.1', port)
out['capa'] = sorted(p.capa().keys())
p.user(user); p.pass_(password)
out['stat'] = list(p.stat())
out['list'] = [x.decode() for x in p.list()[1]]
out['uidl'] = [x.decode() for x in p.uidl()[1]]
resp, lines, octets = p.retr(2)
out['retr'] = [x.decode() for x in lines]; out['retr_octets'] = octets
out['top'] = [x.decode() for x in p.top(1, 0)[1]]
out['dele'] = p.dele(1).decode()
out['rset'] = p.rset().decode()
out['quit'] = p.quit().decode()
s = poplib.POP3('127.0.0.1', port)
out['stls'] = s.stls(context=ctx).decode()
out['stls_capa'] = sorted(s.capa().keys())
s.user(user); s.pass_(password)
out['stls_stat'] = list(s.stat())
s.dele(3)
s.quit()
t = poplib.POP3_SSL('127.0.0.1', tls_port, context=ctx)
t.user(user); t.pass_(password)
out['pop3s_stat'] = list(t.stat())
out['pop3s_uidl'] = [x.decode() for x in t.uidl()[1]]
t.quit()
print(json.dumps(out))
`;

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function pop3Login(port: number, box: TestMailbox): Promise<Pop3RawClient> {
  const { client } = await Pop3RawClient.connect(port);
  expect(await client.login(box)).toMatch(/^\+OK/);
  return client;
}

describe('POP3 with real clients', () => {
  let imap: ImapHarness;
  let store: MailStore;

  beforeAll(async () => {
    imap = await startImap();
    store = imap.app.get(MailStore);
  });
  afterAll(() => imap?.close());

  async function boxWith(count: number, bodies: (i: number) => string = (i) => `body ${i}`): Promise<TestMailbox> {
    return mailboxWith(imap, count, (i) => sampleMessage({ subject: `report ${i}`, body: bodies(i) }));
  }

  it('Python poplib: plain on loopback, STLS and POP3S', async () => {
    const box = await boxWith(3, (i) => (i === 2 ? '.dotted line\r\nsecond' : `body ${i}`));
    const result = await run('python3', ['-c', POPLIB, String(imap.pop3Port), String(imap.pop3sPort), box.address, box.password]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.capa).toEqual(['AUTH-RESP-CODE', 'CAPA', 'IMPLEMENTATION', 'PIPELINING', 'RESP-CODES', 'SASL', 'STLS', 'TOP', 'UIDL', 'USER']);
    expect(out.stat[0]).toBe(3);
    expect(out.list).toHaveLength(3);
    expect(out.uidl).toHaveLength(3);
    expect(out.retr).toContain('Subject: report 2');
    // poplib undoes the dot-stuffing and counts what is left: LIST's size exactly.
    expect(out.retr).toContain('.dotted line');
    expect(out.retr_octets).toBe(Number(out.list[1].split(' ')[1]));
    expect(out.top).toContain('Subject: report 1');
    expect(out.top).not.toContain('body 1');
    expect(out.quit).toMatch(/^\+OK .*\(0 messages deleted\)/);
    expect(out.stls).toMatch(/^\+OK/);
    expect(out.stls_capa).not.toContain('STLS');
    expect(out.stls_stat[0]).toBe(3);
    expect(out.pop3s_stat[0]).toBe(2);
    expect(out.pop3s_uidl.map((l: string) => l.split(' ')[1])).toEqual([out.uidl[0], out.uidl[1]].map((l: string) => l.split(' ')[1]));
  });

  const fetchmail = spawnSync('fetchmail', ['--version']).status === 0;

  it.skipIf(!fetchmail)('fetchmail (skipped when not installed: apt-get install -y fetchmail) fetches over POP3S, keeping, then fetches again and deletes', async () => {
    const box = await boxWith(3);
    const dir = mkdtempSync(join(tmpdir(), 'pop3-fetchmail-'));
    try {
      const out = join(dir, 'delivered');
      const rc = (keep: boolean) => {
        const file = join(dir, `rc-${keep}`);
        writeFileSync(
          file,
          `poll 127.0.0.1 service ${imap.pop3sPort} protocol POP3 auth password timeout 30\n` +
            `  user "${box.address}" password "${box.password}" ssl no sslcertck ${keep ? 'keep' : 'nokeep fetchall'}\n` +
            `  mda "/bin/sh -c 'cat >> ${out}; echo ===== >> ${out}'"\n`,
        );
        chmodSync(file, 0o600);
        return file;
      };
      // As root, fetchmail's lock is /var/run/fetchmail.pid whatever FETCHMAILHOME says: two suites
      // at once would meet there. --pidfile keeps it in the test's directory.
      const env = { FETCHMAILHOME: dir, HOME: dir };
      const first = await run('fetchmail', ['-f', rc(true), '--nosyslog', '--nodetach', '-v', '--idfile', join(dir, 'ids'), '--pidfile', join(dir, 'pid')], env);
      expect(first.code, first.stderr + first.stdout).toBe(0);
      expect(readFileSync(out, 'utf8').split('=====\n').filter(Boolean)).toHaveLength(3);
      let client = await pop3Login(imap.pop3Port, box);
      expect(await client.command('STAT')).toMatch(/^\+OK 3 /);
      await client.command('QUIT');

      const second = await run('fetchmail', ['-f', rc(false), '--nosyslog', '--nodetach', '-v', '--idfile', join(dir, 'ids'), '--pidfile', join(dir, 'pid')], env);
      expect(second.code, second.stderr + second.stdout).toBe(0);
      const delivered = readFileSync(out, 'utf8').split('=====\n').filter(Boolean);
      expect(delivered).toHaveLength(6);
      expect(delivered.slice(3).map((m) => /Subject: (.*)/.exec(m)![1])).toEqual(['report 1', 'report 2', 'report 3']);
      client = await pop3Login(imap.pop3Port, box);
      expect(await client.command('STAT')).toBe('+OK 0 0\r\n');
      client.close();
    } finally {
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('IMAP (imapflow) and POP3 on one mailbox at once: POP3 keeps its snapshot, its DELE+QUIT reaches IMAP as EXPUNGE and VANISHED', async () => {
    const box = await boxWith(4);
    const flow = new ImapFlow({ host: '127.0.0.1', port: imap.port, secure: false, doSTARTTLS: false, auth: { user: box.address, pass: box.password }, logger: false, qresync: true });
    await flow.connect();
    const expunged: Array<{ seq?: number; uid?: number; vanished?: boolean }> = [];
    flow.on('expunge', (event: { seq?: number; uid?: number; vanished?: boolean }) => expunged.push(event));
    const lock = await flow.getMailboxLock('INBOX');
    // A second IMAP session without QRESYNC, idling: it is told with EXPUNGE.
    const idler = await RawClient.connect(imap.port);
    await idler.command(`LOGIN ${box.address} ${box.password}`);
    await idler.command('SELECT INBOX');
    idler.send('i1 IDLE\r\n');
    await idler.waitFor(/^\+ /m);
    try {
      const mailbox = flow.mailbox as { uidValidity: bigint; exists: number };
      const uids: number[] = [];
      for await (const message of flow.fetch('1:*', { uid: true })) uids.push(message.uid);

      const pop = await pop3Login(imap.pop3Port, box);
      const uidl = bodyOf(await pop.commandMulti('UIDL')).trim().split('\r\n').map((l) => l.split(' ')[1]);
      // UIDL is UIDVALIDITY.UID as IMAP reports them.
      expect(uidl).toEqual(uids.map((uid) => `${mailbox.uidValidity}.${uid}`));

      // IMAP changes things under the POP3 session: a flag, a deletion, a new message.
      await flow.messageFlagsAdd({ uid: String(uids[0]) }, ['\\Seen'], { uid: true });
      await flow.messageDelete({ uid: String(uids[3]) }, { uid: true });
      await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: 'arrived later' }) });
      expect(await pop.command('STAT')).toMatch(/^\+OK 4 /);
      expect(await pop.command('RETR 4')).toMatch(/^-ERR message 4 was removed by another session/);
      expect(await pop.command('UIDL 1')).toBe(`+OK 1 ${uidl[0]}\r\n`);
      expect(await pop.command('DELE 1')).toMatch(/^\+OK/);
      expect(await pop.command('DELE 2')).toMatch(/^\+OK/);
      expect(await pop.command('QUIT')).toMatch(/^\+OK .*\(2 messages deleted\)/);

      expect(await idler.waitFor(/\* [12] EXPUNGE\r\n\* 1 EXPUNGE\r\n/)).toBeTruthy();
      idler.close();
      await flow.noop();
      await expect.poll(() => expunged.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
      expect(expunged.some((e) => e.vanished)).toBe(true);
      const left: string[] = [];
      for await (const message of flow.fetch('1:*', { envelope: true })) left.push(message.envelope!.subject!);
      expect(left).toEqual(['report 3', 'arrived later']);

      // A new POP3 session: the same ids for what is left, the new message at the end.
      const again = await pop3Login(imap.pop3Port, box);
      const after = bodyOf(await again.commandMulti('UIDL')).trim().split('\r\n').map((l) => l.split(' ')[1]);
      expect(after[0]).toBe(uidl[2]);
      expect(after).toHaveLength(2);
      expect(after[1]).not.toBe(uidl[3]);
      again.close();
    } finally {
      lock.release();
      await flow.logout();
    }
  });
});
