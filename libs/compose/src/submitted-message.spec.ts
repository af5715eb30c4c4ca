import { describe, expect, it } from 'vitest';
import { headerValues } from '@mailroom/mime';
import { submittedSenders } from './address-header';
import { completeSubmittedMessage, readHeaders, removeBccFields, visibleRecipients } from './submitted-message';

const message = (...lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

/** Relay submissions are read with libs/mime's header reader; these are where its own reading differed. */
describe('readHeaders', () => {
  // A message that starts with an empty line has an empty header, and every receiver reads it so.
  // The relay used to look for the next empty line and read the body's first lines as the header,
  // checking a From: that receivers see as body text.
  it('reads no header from a message that starts with an empty line', () => {
    const headers = readHeaders(message('', 'From: alice@ours.test', '', 'body'));
    expect(headers.fields).toEqual([]);
    expect(headers.bodyOffset).toBe(2);
    expect(() => submittedSenders(headers)).toThrow(expect.objectContaining({ code: 'from_header_required' }));
  });

  // RFC 5322 section 2.2.3: unfolding removes the line break only. Each continuation line used to
  // be trimmed and joined with one space, which also kept a Message-ID folded onto its own line
  // from losing its "<": " <id@x>" became "<id@x".
  it('unfolds values as RFC 5322 says', () => {
    const raw = message('From: alice@ours.test', 'Subject: many', '    spaces', 'Message-ID:', ' <folded@ours.test>', 'Date: Mon, 23 Nov 2026 12:42:01 +0000', '', 'body');
    const headers = readHeaders(raw);
    expect(headerValues(headers.fields, 'subject')).toEqual(['many    spaces']);
    expect(completeSubmittedMessage(raw, headers, 'relay.test').messageId).toBe('folded@ours.test');
  });
});

describe('removeBccFields', () => {
  it('takes out Bcc and Resent-Bcc however cased or folded, and nothing else', () => {
    const raw = message('From: a@ours.test', 'BCC: hidden@x.test,', ' other@x.test', 'To: b@y.test', 'resent-bcc: r@x.test', '', 'Bcc: in the body stays');
    expect(removeBccFields(raw).toString()).toBe('From: a@ours.test\r\nTo: b@y.test\r\n\r\nBcc: in the body stays');
    const none = message('From: a@ours.test', '', 'body');
    expect(removeBccFields(none)).toBe(none);
  });
});

describe('visibleRecipients', () => {
  // As mail readers list To: and Cc: (the ENVELOPE reading). nodemailer's addressparser read
  // "a b@x" as b@x named a, and took group members out of their group the same way.
  it('lists the addresses To: and Cc: show, lower-cased', () => {
    const headers = readHeaders(message('To: Ann <Ann@Customers.test>, team: bob@x.test;', 'Cc: "c d"@x.test, a b@x.test', 'Bcc: hidden@x.test', '', ''));
    expect([...visibleRecipients(headers)]).toEqual(['ann@customers.test', 'bob@x.test', '"c d"@x.test', 'ab@x.test']);
  });
});
