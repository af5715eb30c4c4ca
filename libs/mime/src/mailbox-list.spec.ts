import { describe, expect, it } from 'vitest';
import { parseAddressList } from './address-list';
import { readMailboxList } from './mailbox-list';

const problem = (value: string) => {
  const reading = readMailboxList(value);
  return reading.ok ? null : reading.problem;
};

describe('readMailboxList: the strict reading', () => {
  it('gives each address as written, its display name as written and decoded, else its comment', () => {
    expect(readMailboxList('=?utf-8?q?Ren=C3=A9e?= <renee@ours.test>, "a b"@ours.test (Team A)')).toEqual({
      ok: true,
      mailboxes: [
        { address: 'renee@ours.test', phrase: '=?utf-8?q?Ren=C3=A9e?=', name: 'Renée' },
        { address: '"a b"@ours.test', phrase: '', name: 'Team A' },
      ],
    });
  });

  it('says what it refuses', () => {
    expect(problem('a@ours.test,')).toBe('has an empty entry (two commas, or a comma at an end)');
    expect(problem('a@ours.test (Alice')).toBe('has a "(" without its ")"');
    expect(problem('a@ours.test (b@theirs.test)')).toBe('has a comment holding address syntax: (b@theirs.test)');
    expect(problem('a\\@b@ours.test')).toBe('has a backslash outside quotes');
    expect(problem('team: a@ours.test;')).toMatch(/^uses group syntax/);
  });

  // Comments nest (RFC 5322 3.2.2): one opened inside another and never closed leaves the outer
  // one open. The relay used to end a comment at its first ")" and so named the inner text instead.
  it('reads comments as nesting', () => {
    expect(problem('a@ours.test ((c)')).toBe('has a "(" without its ")"');
    expect(problem('a@ours.test (a (b) c)')).toBe('has a comment holding address syntax: (a (b)');
  });

  it('shares its tokens with the lenient reading, which refuses nothing', () => {
    expect(parseAddressList('a@ours.test (Alice), team: b@ours.test;')).toEqual([
      { name: 'Alice', adl: null, mailbox: 'a', host: 'ours.test' },
      { name: null, adl: null, mailbox: 'team', host: null },
      { name: null, adl: null, mailbox: 'b', host: 'ours.test' },
      { name: null, adl: null, mailbox: null, host: null },
    ]);
  });
});
