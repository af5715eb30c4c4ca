import { describe, expect, it } from 'vitest';
import { parseFetchItems } from './fetch-items';
import { decodeMailboxName, encodeMailboxName, normalizeFolderName } from './mailbox-name';
import { ResponseBuilder, astring, formatInternalDate } from './response-writer';
import { parseSearch } from './search-query';
import { formatSequenceSet, parseSequenceSet } from './sequence-set';
import { parseCommand } from './command-parser';

const args = (line: string) => parseCommand({ kind: 'command', segments: [`a X ${line}`], literals: [] }).args;

describe('sequence sets', () => {
  it('parses ranges in either order with * as the largest value', () => {
    expect(parseSequenceSet('1,3:5,9:7,*', 12)).toEqual([[1, 1], [3, 5], [7, 9], [12, 12]]);
    // Repeats and overlaps merge, so 10,000 copies of 1:* cost what one does.
    expect(parseSequenceSet(Array(10_000).fill('1:*').join(','), 20_000)).toEqual([[1, 20_000]]);
    expect(parseSequenceSet('7,1:3,2:5,6', 9)).toEqual([[1, 7]]);
    expect(parseSequenceSet('5:*', 3)).toEqual([[3, 5]]);
    expect(() => parseSequenceSet('0', 3)).toThrow();
    expect(() => parseSequenceSet('1:2:3', 3)).toThrow();
    expect(() => parseSequenceSet('a', 3)).toThrow();
  });
  it('formats values compactly', () => {
    expect(formatSequenceSet([5, 1, 2, 3, 9, 10])).toBe('1:3,5,9:10');
  });
});

describe('modified UTF-7 folder names', () => {
  it.each([
    ['Entwürfe', 'Entw&APw-rfe'],
    ['日本語', '&ZeVnLIqe-'],
    ['A&B', 'A&-B'],
    ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
  ])('%s <-> %s', (name, wire) => {
    expect(encodeMailboxName(name)).toBe(wire);
    expect(decodeMailboxName(wire)).toBe(name);
  });
  it('keeps malformed names as sent and normalizes INBOX', () => {
    expect(decodeMailboxName('a&b')).toBe('a&b');
    expect(normalizeFolderName('inbox')).toBe('INBOX');
    expect(normalizeFolderName('Inbox/Sub')).toBe('INBOX/Sub');
    expect(normalizeFolderName('Inboxes')).toBe('Inboxes');
  });
});

describe('ResponseBuilder', () => {
  it('quotes short ASCII, escapes quotes and backslashes, and sends anything else as a literal', () => {
    const out = new ResponseBuilder().string('a "q" \\').raw(' ').string('ünï').raw(' ').nstring(null).raw(' ').string(Buffer.from('x\r\ny')).build();
    expect(out.toString()).toBe('"a \\"q\\" \\\\" {5}\r\nünï NIL {4}\r\nx\r\ny');
  });
  it('writes IMAP data with runs back to back', () => {
    expect(new ResponseBuilder().data([1, null, 'x', { run: [['a'], ['b']] }]).build().toString()).toBe('(1 NIL "x" ("a")("b"))');
  });
  it('formats atoms and dates', () => {
    expect(astring('$Label')).toBe('$Label');
    expect(astring('NIL')).toBe('"NIL"');
    expect(formatInternalDate(new Date('2026-02-03T04:05:06Z'))).toBe('"03-Feb-2026 04:05:06 +0000"');
  });
});

describe('FETCH items', () => {
  it('expands macros and parses sections with partial ranges', () => {
    expect(parseFetchItems(args('FAST')[0]).map((i) => i.kind)).toEqual(['FLAGS', 'INTERNALDATE', 'RFC822.SIZE']);
    const [item] = parseFetchItems(args('BODY.PEEK[1.2.HEADER.FIELDS.NOT (From "X-Y")]<10.20>')[0]);
    expect(item).toEqual({ kind: 'section', label: 'BODY[1.2.HEADER.FIELDS.NOT (FROM X-Y)]<10>', peek: true, path: [1, 2], text: 'HEADER.FIELDS.NOT', fields: ['From', 'X-Y'], partial: { start: 10, length: 20 } });
    expect(parseFetchItems(args('RFC822.HEADER')[0])[0]).toMatchObject({ label: 'RFC822.HEADER', peek: true, text: 'HEADER' });
  });
  it.each(['BODY[MIME]', 'BODY[HEADER.FIELDS]', 'BODY[TEXT (x)]', 'BODY[0]', 'BODY[]<1.0>', 'FOO', 'BODY[1.X]'])('refuses %s', (item) => {
    expect(() => parseFetchItems(args(item)[0])).toThrow();
  });
});

describe('SEARCH programs', () => {
  const context = { messages: 10, largestUid: 40 };
  it('parses the RFC 3501 grammar into a tree', () => {
    expect(parseSearch(args('CHARSET UTF-8 OR (SEEN FROM x) NOT UID 5:* 2:3 SINCE 1-Feb-2026 LARGER 100 HEADER X-Test ""'), context)).toEqual({
      type: 'and',
      keys: [
        { type: 'or', left: { type: 'and', keys: [{ type: 'flag', flag: '\\Seen', present: true }, { type: 'text', field: 'from', value: 'x' }] }, right: { type: 'not', key: { type: 'uid', ranges: [[5, 40]] } } },
        { type: 'seq', ranges: [[2, 3]] },
        { type: 'date', field: 'internal', op: 'since', day: Date.UTC(2026, 1, 1) },
        { type: 'size', op: 'larger', value: 100 },
        { type: 'header', name: 'X-Test', value: '' },
      ],
    });
    expect(parseSearch(args('NEW'), context)).toEqual({ type: 'and', keys: [{ type: 'recent', present: true }, { type: 'flag', flag: '\\Seen', present: false }] });
  });
  it.each(['', 'FROM', 'OR SEEN', 'SINCE 2026-02-01', 'LARGER x', 'BOGUS', '()', `${'NOT '.repeat(40)}SEEN`])('refuses %j', (program) => {
    expect(() => parseSearch(args(program), context)).toThrow();
  });
});

describe('LIST patterns', () => {
  it('match like RFC 3501 says and stay linear with many wildcards', async () => {
    const { patternMatcher } = await import('../commands/folders');
    expect(patternMatcher('*')('Archive/2026')).toBe(true);
    expect(patternMatcher('%')('Archive/2026')).toBe(false);
    expect(patternMatcher('Archive/%')('Archive/2026')).toBe(true);
    expect(patternMatcher('inbox')('INBOX')).toBe(true);
    expect(patternMatcher('A*e/2%6')('Archive/2026')).toBe(true);
    expect(patternMatcher('%/%')('Archive/2026/x')).toBe(false);
    expect(patternMatcher('*x%')('ax/bx')).toBe(true);
    expect(patternMatcher('%x%')('ax/bx')).toBe(false);
    const started = performance.now();
    expect(patternMatcher(`${'*'.repeat(80)}Z`)('Bounces')).toBe(false);
    expect(patternMatcher(`${'*%'.repeat(200)}Z`)('a/'.repeat(100))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
