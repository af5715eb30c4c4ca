import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestMailbox, type TestMailbox } from '../../../libs/mailstore/test/mailbox-fixture';
import { RawClient, startImap, type ImapHarness } from './imap-harness';

/**
 * Input IMAP cannot carry or a mail store must not hold, sent as raw protocol lines: NUL in a
 * message (stored as received), NUL and control characters in folder names (BAD, never a
 * server error), names that are harmful to clients syncing to a file system (`..`), and an
 * APPEND whose message is not a literal.
 */
describe('IMAP: NUL bytes, folder names and APPEND syntax', () => {
  let imap: ImapHarness;
  let box: TestMailbox;
  let client: RawClient;

  beforeAll(async () => {
    imap = await startImap({ maxBadCommands: 1000 });
    box = await createTestMailbox(imap.app);
    client = await RawClient.connect(imap.port);
    expect(await client.command(`LOGIN ${box.address} "${box.password}"`)).toMatch(/OK/);
  });
  afterAll(async () => {
    client?.close();
    await imap?.close();
  });

  /** Sends a command whose text may hold any byte; returns everything up to its tagged answer. */
  let counter = 0;
  async function raw(text: string): Promise<string> {
    const tag = `n${++counter}`;
    client.send(Buffer.from(`${tag} ${text}\r\n`, 'latin1'));
    return client.waitFor(new RegExp(`^${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`, 'm'));
  }
  const tagged = (answer: string) => /^n\d+ ((?:OK|NO|BAD)[^\r\n]*)\r\n/m.exec(answer)![1];

  it('APPEND of a message with NUL in its header and body succeeds and FETCH gives back the bytes as sent', async () => {
    const message = 'From: A\0nn <ann@example.org>\r\nSubject: Hi\0 there\r\nX-Null: \0\r\n\r\nbody\0 with a NUL\r\n';
    const answer = tagged(await raw(`APPEND INBOX {${message.length}+}\r\n${message}`));
    expect(answer).toMatch(/^OK \[APPENDUID \d+ \d+\] APPEND completed$/);
    await raw('SELECT INBOX');
    const fetched = await raw('UID FETCH * (BODY.PEEK[] ENVELOPE)');
    expect(fetched).toContain(`BODY[] {${message.length}}\r\n${message}`);
    expect(fetched).toContain('"Hi there"');
    expect(await raw('CLOSE')).toMatch(/OK/);
  });

  const NUL_NAMES: Array<[string, string]> = [
    ['a quoted string', '"Ar\0chive"'],
    ['a literal', '{8+}\r\nAr\0chive'],
    ['modified UTF-7', 'Ar&AAA-chive'],
  ];
  const CONTROL_NAMES: Array<[string, string]> = [
    ['a quoted string', '"Ar\x01chive"'],
    ['modified UTF-7', 'Ar&AAE-chive'],
  ];
  const COMMANDS: Array<[string, (name: string) => string]> = [
    ['SELECT', (n) => `SELECT ${n}`],
    ['EXAMINE', (n) => `EXAMINE ${n}`],
    ['CREATE', (n) => `CREATE ${n}`],
    ['DELETE', (n) => `DELETE ${n}`],
    ['RENAME from', (n) => `RENAME ${n} Elsewhere`],
    ['RENAME to', (n) => `RENAME Drafts ${n}`],
    ['SUBSCRIBE', (n) => `SUBSCRIBE ${n}`],
    ['UNSUBSCRIBE', (n) => `UNSUBSCRIBE ${n}`],
    ['STATUS', (n) => `STATUS ${n} (MESSAGES)`],
    ['APPEND', (n) => `APPEND ${n} {3+}\r\nabc`],
    ['LIST pattern', (n) => `LIST "" ${n}`],
    ['LIST reference', (n) => `LIST ${n} "*"`],
    ['LSUB', (n) => `LSUB "" ${n}`],
  ];

  for (const [how, name] of NUL_NAMES) {
    it(`a folder name with a NUL in ${how} is BAD for every command that takes one`, async () => {
      for (const [command, line] of COMMANDS) {
        const answer = tagged(await raw(line(name)));
        expect(answer, `${command} ${how}`).toMatch(/^BAD .*NUL/);
      }
    });
  }

  for (const [how, name] of CONTROL_NAMES) {
    it(`a folder name with a control character in ${how} is a folder that does not exist and cannot be made`, async () => {
      const expected: Record<string, RegExp> = {
        CREATE: /^NO \[CANNOT\] a folder name cannot contain control characters: "Ar\\u0001chive"$/,
        'RENAME to': /^NO \[CANNOT\] a folder name cannot contain control characters/,
        APPEND: /^NO \[CANNOT\] a folder name cannot contain control characters/,
        'LIST pattern': /^OK LIST completed$/,
        'LIST reference': /^OK LIST completed$/,
        LSUB: /^OK LSUB completed$/,
        // Subscriptions are names: dropping one nobody made is no error (as Dovecot answers).
        UNSUBSCRIBE: /^OK UNSUBSCRIBE completed$/,
      };
      for (const [command, line] of COMMANDS) {
        const answer = tagged(await raw(line(name)));
        expect(answer, `${command} ${how}`).toMatch(expected[command] ?? /^NO \[NONEXISTENT\] [^\x00-\x1f]+$/);
      }
    });
  }

  it('COPY and MOVE to a folder name with a NUL are BAD too', async () => {
    const message = 'Subject: copy me\r\n\r\nx\r\n';
    await raw(`APPEND INBOX {${message.length}+}\r\n${message}`);
    await raw('SELECT INBOX');
    for (const [, name] of NUL_NAMES) {
      expect(tagged(await raw(`COPY 1 ${name}`))).toMatch(/^BAD .*NUL/);
      expect(tagged(await raw(`UID MOVE 1:* ${name}`))).toMatch(/^BAD .*NUL/);
    }
    expect(await raw('CLOSE')).toMatch(/OK/);
  });

  it('NUL in other string arguments (LOGIN, SEARCH) is BAD, not a server error', async () => {
    await raw('SELECT INBOX');
    expect(tagged(await raw('SEARCH SUBJECT "a\0b"'))).toMatch(/^BAD .*NUL/);
    expect(tagged(await raw('SEARCH SUBJECT {3+}\r\na\0b'))).toMatch(/^BAD .*NUL/);
    expect(await raw('CLOSE')).toMatch(/OK/);
    const other = await RawClient.connect(imap.port);
    other.send(Buffer.from('l1 LOGIN "us\0er@example.com" "secret"\r\n', 'latin1'));
    expect(await other.waitFor(/^l1 .*\r\n/m)).toMatch(/^l1 BAD .*NUL/m);
    other.close();
  });

  it('"." and ".." levels, empty levels, over-long and over-deep names cannot be created or renamed to', async () => {
    const refused = ['..', '../..', '.', 'a/../b', 'a/./b', 'a/..', '../a', 'a//b', '/a', 'x'.repeat(600), Array.from({ length: 40 }, (_, i) => `l${i}`).join('/')];
    for (const name of refused) {
      const create = tagged(await raw(`CREATE "${name}"`));
      expect(create, `CREATE ${name}`).toMatch(/^NO \[CANNOT\] \S/);
      expect(tagged(await raw(`RENAME Drafts "${name}"`)), `RENAME to ${name}`).toMatch(/^NO \[CANNOT\] \S/);
    }
    expect(tagged(await raw('CREATE ..'))).toMatch(/^NO \[CANNOT\] .*"\."/);
    // Modified UTF-7 for a lone surrogate: no UTF-8 form, so no name.
    expect(tagged(await raw('CREATE "&2AA-"'))).toMatch(/^NO \[CANNOT\] a folder name must be valid Unicode/);
    const list = await raw('LIST "" "*"');
    expect(list).not.toMatch(/"\.\.?"|\/\.\.?"|"\.\.?\//);
    // Dots inside a name are fine; a single trailing separator is RFC 3501's "will hold children".
    expect(tagged(await raw('CREATE "a.b/..c/c..d"'))).toMatch(/^OK/);
    expect(tagged(await raw('CREATE "Projects/"'))).toMatch(/^OK/);
    expect(await raw('LIST "" "Projects"')).toMatch(/\* LIST \([^)]*\) "\/" "Projects"\r\n/);
  });

  it('APPEND, COPY and MOVE to a name that could never be created answer NO [CANNOT], not TRYCREATE', async () => {
    expect(tagged(await raw('APPEND "../.." {3+}\r\nabc'))).toMatch(/^NO \[CANNOT\] /);
    expect(tagged(await raw('APPEND "a//b" {3+}\r\nabc'))).toMatch(/^NO \[CANNOT\] /);
    expect(tagged(await raw('APPEND "Never/Made" {3+}\r\nabc'))).toMatch(/^NO \[TRYCREATE\] /);
    await raw('SELECT INBOX');
    expect(tagged(await raw('COPY 1 ".."'))).toMatch(/^NO \[CANNOT\] /);
    expect(tagged(await raw('MOVE 1 "a/./b"'))).toMatch(/^NO \[CANNOT\] /);
    expect(tagged(await raw('COPY 1 "Never/Made"'))).toMatch(/^NO \[TRYCREATE\] /);
    expect(await raw('CLOSE')).toMatch(/OK/);
  });

  it('APPEND takes its message only as a literal: an atom or a quoted string in its place is BAD and stores nothing', async () => {
    const before = await raw('STATUS INBOX (MESSAGES)');
    expect(tagged(await raw('APPEND INBOX hello'))).toMatch(/^BAD .*literal/);
    expect(tagged(await raw('APPEND INBOX "Subject: hi"'))).toMatch(/^BAD .*literal/);
    expect(tagged(await raw('APPEND INBOX (\\Seen) hello'))).toMatch(/^BAD .*literal/);
    expect(tagged(await raw('APPEND INBOX (\\Seen) " 1-Feb-2026 10:00:00 +0200" hello'))).toMatch(/^BAD .*literal/);
    expect(tagged(await raw('APPEND INBOX NIL'))).toMatch(/^BAD .*literal/);
    // A literal8 is for APPEND's message only (RFC 3516).
    expect(tagged(await raw('APPEND INBOX ~ ~{3+}\r\nabc'))).toMatch(/^BAD/);
    expect(tagged(await raw('STATUS ~{5+}\r\nINBOX (MESSAGES)'))).toMatch(/^BAD .*literal8/);
    expect(await raw('STATUS INBOX (MESSAGES)')).toBe(before.replace(/^n\d+/m, `n${counter}`));
    expect(tagged(await raw('APPEND INBOX {3+}\r\nabc'))).toMatch(/^OK \[APPENDUID/);
    expect(tagged(await raw('APPEND INBOX ~{3+}\r\na\0c'))).toMatch(/^OK \[APPENDUID/);
  });
});
