import { describe, expect, it } from 'vitest';
import { parseMessage } from '@mailroom/mailstore';
import { parseFetchItems, type BodySectionItem } from '../protocol/fetch-items';
import { parseCommand } from '../protocol/command-parser';
import { bodySection } from './body-section';
import { SelectedFolder } from './selected-folder';
import { SearchMatcher } from './search-matcher';
import { parseSearch } from '../protocol/search-query';

const item = (text: string) => parseFetchItems(parseCommand({ kind: 'command', segments: [`a X ${text}`], literals: [] }).args[0])[0] as BodySectionItem;
const raw = Buffer.from(
  ['Subject: outer', 'Content-Type: message/rfc822', '', 'Subject: inner', 'Content-Type: multipart/mixed; boundary=b', '', '--b', 'X-A: 1', '', 'first', '--b', '', 'second', '--b--', ''].join('\r\n'),
);
const root = parseMessage(raw).root;
const section = (text: string) => bodySection(raw, root, item(text))?.toString() ?? null;

describe('bodySection', () => {
  it('walks into an attached message and its parts', () => {
    expect(section('BODY[1.HEADER]')).toBe('Subject: inner\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n');
    expect(section('BODY[1.1]')).toBe('first');
    expect(section('BODY[1.1.MIME]')).toBe('X-A: 1\r\n\r\n');
    expect(section('BODY[1.2]')).toBe('second');
    expect(section('BODY[1.3]')).toBeNull();
    expect(section('BODY[2]')).toBeNull();
    expect(section('BODY[HEADER.FIELDS.NOT (Content-Type)]')).toBe('Subject: outer\r\n\r\n');
    expect(section('BODY[TEXT]<0.7>')).toBe('Subject');
    expect(section('BODY[]<1000.10>')).toBe('');
  });
});

describe('SelectedFolder', () => {
  const folder = new SelectedFolder('f', 'INBOX', false, 1, [2, 4, 6, 8, 10], 1);
  it('maps sequence numbers and UIDs', () => {
    expect(folder.seqOf(6)).toBe(3);
    expect(folder.seqOf(7)).toBe(0);
    expect(folder.resolve([[2, 3]], false)).toEqual([4, 6]);
    expect(folder.resolve([[5, 9], [1, 2]], true)).toEqual([2, 6, 8]);
    expect(folder.resolve([[4, 100]], false)).toEqual([8, 10]);
  });
  it('marks claimed messages recent', () => {
    folder.claimRecent(8, 11);
    expect(folder.recentCount).toBe(2);
    expect(folder.flagList(8, ['\\Seen'])).toBe('\\Seen \\Recent');
  });
});

describe('SearchMatcher', () => {
  const message = { uid: 7, modseq: 3, flags: ['\\Seen', 'Work'], internalDate: new Date('2026-02-01T23:30:00Z'), size: 500, subject: 'Delivery failure', fromAddress: 'MAILER-DAEMON <md@example.com>', toAddresses: 'a@b.c', sentDate: null, raw, bodyStructure: root };
  const matches = (program: string) =>
    new SearchMatcher().matches(parseSearch(parseCommand({ kind: 'command', segments: [`a SEARCH ${program}`], literals: [] }).args, { messages: 9, largestUid: 9 }), { seq: 4, recent: false, message });
  it.each([
    ['SEEN KEYWORD work', true],
    ['UNSEEN', false],
    ['SUBJECT FAILURE', true],
    ['FROM mailer-daemon', true],
    ['ON 1-Feb-2026', true],
    ['BEFORE 1-Feb-2026', false],
    ['SENTSINCE 1-Jan-2000', false],
    ['SMALLER 501 LARGER 499', true],
    ['4 UID 7', true],
    ['OR 1:3 UID 1', false],
    ['HEADER subject outer', true],
    ['BODY second', true],
    ['TEXT "subject: inner"', true],
    ['MODSEQ 4', false],
    ['OLD NOT RECENT', true],
  ])('%s -> %s', (program, expected) => {
    expect(matches(program)).toBe(expected);
  });
});
