import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailStore } from '@mailroom/mailstore';
import { createTestMailbox, sampleMessage, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { startImap, type ImapHarness } from './imap-harness';

/** Python's imaplib, run as a child process: a second, independent client implementation. */
const SCRIPT = String.raw`
import imaplib, json, ssl, sys
port, tls_port, user, password = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
out = {}
plain = imaplib.IMAP4('127.0.0.1', int(port))
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
plain.starttls(ssl_context=ctx)
out['login'] = plain.login(user, password)[0]
out['capability'] = plain.capabilities
typ, data = plain.select('INBOX')
out['exists'] = int(data[0])
typ, data = plain.search(None, 'SUBJECT', '"report 2"')
out['search'] = data[0].decode()
typ, data = plain.uid('SEARCH', None, 'ALL')
out['uids'] = data[0].decode()
typ, data = plain.fetch('2', '(RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)] FLAGS)')
out['fetch'] = [x.decode() if isinstance(x, bytes) else [y.decode() for y in x] for x in data]
typ, data = plain.store('1', '+FLAGS', '(\\Deleted)')
out['store'] = data[0].decode()
typ, data = plain.expunge()
out['expunge'] = [x.decode() for x in data if x]
typ, data = plain.copy('1', 'Junk')
out['copy'] = typ
typ, data = plain.list()
out['list'] = [x.decode() for x in data]
typ, data = plain.status('Junk', '(MESSAGES UIDNEXT)')
out['status'] = data[0].decode()
plain.create('R&AOQ-ume')
typ, data = plain.list('""', 'R*')
out['utf7'] = [x.decode() for x in data]
plain.logout()
secure = imaplib.IMAP4_SSL('127.0.0.1', int(tls_port), ssl_context=ctx)
secure.login(user, password)
typ, data = secure.select('Junk', readonly=True)
out['junk'] = int(data[0])
typ, data = secure.fetch('1', '(BODY[])')
out['body'] = data[0][1].decode()
secure.logout()
print(json.dumps(out))
`;

function runPython(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('python3', ['-c', SCRIPT, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('IMAP with Python imaplib', () => {
  let imap: ImapHarness;
  let box: TestMailbox;

  beforeAll(async () => {
    imap = await startImap();
    box = await createTestMailbox(imap.app);
    const store = imap.app.get(MailStore);
    for (let i = 1; i <= 3; i++) await store.append({ mailboxId: box.mailboxId, folder: 'INBOX', raw: sampleMessage({ subject: `report ${i}` }) });
  });
  afterAll(() => imap?.close());

  it('runs a whole session: STARTTLS, LOGIN, SELECT, SEARCH, FETCH, STORE, EXPUNGE, COPY, LIST, STATUS, IMAPS', async () => {
    const result = await runPython([String(imap.port), String(imap.tlsPort), box.address, box.password]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.login).toBe('OK');
    expect(out.capability).toEqual(expect.arrayContaining(['IMAP4REV1', 'IDLE', 'UIDPLUS', 'MOVE']));
    expect(out.exists).toBe(3);
    expect(out.search).toBe('2');
    expect(out.uids).toBe('1 2 3');
    expect(out.fetch[0][0]).toMatch(/^2 \(RFC822\.SIZE \d+ BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\}$/);
    expect(out.fetch[0][1]).toBe('Subject: report 2\r\n\r\n');
    expect(out.fetch[1]).toBe(' FLAGS (\\Recent))');
    expect(out.store).toBe('1 (FLAGS (\\Deleted \\Recent))');
    expect(out.expunge).toEqual(['1']);
    expect(out.copy).toBe('OK');
    expect(out.list).toContain('(\\HasNoChildren \\Junk) "/" "Junk"');
    expect(out.status).toBe('"Junk" (MESSAGES 1 UIDNEXT 2)');
    expect(out.utf7).toEqual(['(\\HasNoChildren) "/" "R&AOQ-ume"']);
    expect(out.junk).toBe(1);
    expect(out.body).toContain('Subject: report 2');
  });
});
