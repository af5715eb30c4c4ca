import addressparser from 'nodemailer/lib/addressparser';
import { describe, expect, it } from 'vitest';
import { parseAddressList as envelopeAddresses } from '@mailroom/mime';
import { parseMailboxHeader, submittedSenders } from './address-header';
import { readHeaders } from './submitted-message';

const addresses = (value: string) => parseMailboxHeader(value, 'From:').mailboxes.map((m) => m.address);
const refusal = (value: string) => {
  try {
    parseMailboxHeader(value, 'From:');
    return null;
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('parseMailboxHeader: the strictest common reading', () => {
  it('reads the forms every parser agrees on', () => {
    expect(addresses('alice@ours.test')).toEqual(['alice@ours.test']);
    expect(addresses('Alice Smith <alice@ours.test>')).toEqual(['alice@ours.test']);
    expect(addresses('"Smith, Alice" <alice@ours.test>, bob@ours.test')).toEqual(['alice@ours.test', 'bob@ours.test']);
    expect(addresses('alice@ours.test (Alice Smith)')).toEqual(['alice@ours.test']);
    expect(addresses('John Q. Public <john@ours.test>')).toEqual(['john@ours.test']);
    expect(addresses('=?utf-8?q?Ren=C3=A9e?= <renee@ours.test>')).toEqual(['renee@ours.test']);
    expect(addresses('Jörg <jörg@ours.test>')).toEqual(['jörg@ours.test']);
    expect(parseMailboxHeader('=?utf-8?q?Ren=C3=A9e?= <renee@ours.test>', 'From:').mailboxes[0]!.name).toBe('Renée');
  });

  it('accepts only what other parsers read alike: nodemailer’s (mailparser’s) and our IMAP ENVELOPE’s', () => {
    const accepted = [
      'alice@ours.test',
      'Alice Smith <alice@ours.test>',
      '"Smith, Alice" <alice@ours.test>, bob@ours.test',
      'alice@ours.test (Alice Smith)',
      'John (Sales) <john@ours.test>',
      'John Q. Public <john@ours.test>',
      '"App (billing)" <app@ours.test>, =?utf-8?q?Ren=C3=A9e?= <renee@ours.test>',
      '"a b"@ours.test',
    ];
    for (const value of accepted) {
      const ours = addresses(value).map((a) => a.toLowerCase());
      expect(addressparser(value, { flatten: true }).map((a) => a.address.toLowerCase()), value).toEqual(ours);
      expect((envelopeAddresses(value) ?? []).map((a) => `${a.mailbox}@${a.host}`.toLowerCase()), value).toEqual(ours);
    }
  });

  it('keeps what it quotes on one line', () => {
    expect(() => parseMailboxHeader('=?utf-8?q?a=0D=0A=3C?= <alice@ours.test>', 'From:')).toThrow(/^From: has a "<" or ">" in the display name "a\?\?<"/);
  });

  it('reports addresses a display name shows, raw or encoded', () => {
    expect(parseMailboxHeader('"billing@theirs.test" <alice@ours.test>', 'From:').shown.map((m) => m.address)).toEqual(['billing@theirs.test']);
    expect(parseMailboxHeader('=?utf-8?q?bob=40theirs.test?= <alice@ours.test>', 'From:').shown.map((m) => m.address)).toEqual(['bob@theirs.test']);
  });

  it.each([
    ['<alice@ours.test> <bob@theirs.test>', 'two angle addresses'],
    ['alice@ours.test <bob@theirs.test>', 'an address as display name'],
    ['Alice <alice@ours.test', 'an unclosed angle'],
    ['Alice alice@ours.test>', 'a stray ">"'],
    ['Alice <<alice@ours.test>>', 'doubled angles'],
    ['"Alice <alice@ours.test>', 'an unclosed quote'],
    ['alice@ours.test (bob@theirs.test)', 'a comment holding an address'],
    ['alice@ours.test (Alice', 'an unclosed comment'],
    ['alice@ours.test (a (b) c)', 'a nested comment'],
    ['=?utf-8?q?bob=40theirs.test_=3C?= <alice@ours.test>', 'an encoded "<" in the name'],
    ['"Bob <bob@theirs.test>" <alice@ours.test>', 'a quoted "<" in the name'],
    ['team: alice@ours.test, bob@theirs.test;', 'group syntax'],
    ['<@route.test:alice@ours.test>', 'a source route'],
    ['alice@[127.0.0.1]', 'an address literal'],
    ['alice@ours.test@theirs.test', 'two @'],
    ['alice @ ours.test', 'spaces inside the address'],
    ['Alice <alice@ours.test> bob@theirs.test', 'text after the angle address'],
    ['alice@ours.test,, bob@ours.test', 'an empty entry'],
    ['=?utf-8?q?bob?=@ours.test', 'an encoded word in the address'],
    ['a\\@b@ours.test', 'a backslash outside quotes'],
    ['=?utf-8?q?Alice=0D=0AFrom=3A_x?= <alice@ours.test>', 'an encoded CR LF in the name'],
  ])('refuses %s (%s)', (value) => {
    expect(refusal(value)).toMatch(/ambiguous_address|invalid_address/);
  });
});

describe('submittedSenders', () => {
  const senders = (head: string) => submittedSenders(readHeaders(Buffer.from(`${head}\r\n\r\nbody\r\n`)));
  const code = (head: string) => {
    try {
      senders(head);
      return null;
    } catch (error) {
      return (error as { code: string }).code;
    }
  };

  it('lists every address that must be the account’s, with the header naming it', () => {
    const { authors, owned } = senders('From: a@ours.test, b@ours.test\r\nSender: "x@ours.test" <s@ours.test>\r\nResent-From: r@ours.test\r\nResent-Sender: rs@ours.test\r\nReply-To: help@elsewhere.test');
    expect(authors.map((a) => a.address)).toEqual(['a@ours.test', 'b@ours.test']);
    expect(owned.map((o) => `${o.field} ${o.address.address}`)).toEqual([
      'From: a@ours.test',
      'From: b@ours.test',
      'Sender: s@ours.test',
      'Sender: (shown in a display name) x@ours.test',
      'Resent-From: r@ours.test',
      'Resent-Sender: rs@ours.test',
    ]);
  });

  it('applies RFC 5322 counts', () => {
    expect(code('Subject: none')).toBe('from_header_required');
    expect(code('From: a@ours.test\r\nfrom: b@ours.test')).toBe('duplicate_header');
    expect(code('From: a@ours.test\r\nSender: s@ours.test\r\nSENDER: t@ours.test')).toBe('duplicate_header');
    expect(code('From: a@ours.test, b@ours.test')).toBe('sender_required');
    expect(code('From: a@ours.test\r\nSender: s@ours.test, t@ours.test')).toBe('ambiguous_address');
    expect(code('From: a@ours.test\r\nReply-To: x@y.test\r\nReply-To: z@y.test')).toBe('duplicate_header');
    expect(code('From: a@ours.test\r\nReply-To: <x@y.test> <z@w.test>')).toBe('ambiguous_address');
  });
});
