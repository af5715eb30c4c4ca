import { describe, expect, it } from 'vitest';
import { findBodyStart, headerValue, headerValues, parseHeaderFields } from './header-fields';

const fieldsOf = (text: string) => {
  const raw = Buffer.from(text, 'utf8');
  return parseHeaderFields(raw, 0, findBodyStart(raw, 0, raw.length));
};

describe('parseHeaderFields: the one header reader', () => {
  // RFC 5322 section 2.2.3: unfolding removes the CRLF, nothing else. Bounce reports and relay
  // submissions used to trim each line and join with one space ("a  \r\n   b" read "a b").
  it('unfolds by removing the line breaks only', () => {
    const fields = fieldsOf('Subject: a  \r\n   b\r\nX-Tab: c\r\n\td\r\n\r\nbody');
    expect(headerValue(fields, 'subject')).toBe('a     b');
    expect(headerValue(fields, 'x-tab')).toBe('c\td');
  });

  // A continuation line belongs to the line before it. Bounce reports used to append it to the
  // last field kept when that line was not a field, so "Subject: hi / junk / \ttail" read "hi tail".
  it('drops a continuation line with the line that is not a field', () => {
    const fields = fieldsOf('Subject: hi\r\nthis is no field\r\n\ttail\r\nTo: x@y.test\r\n\r\n');
    expect(fields.map((f) => `${f.key}=${f.value}`)).toEqual(['subject=hi', 'to=x@y.test']);
  });

  // RFC 6532: header bytes may be UTF-8. Bounce reports were read as latin1 and converted later.
  it('reads values as UTF-8, every value of a repeated field in order', () => {
    const fields = fieldsOf('Subject: Réponse automatique\r\nReceived: one\r\nreceived: two\r\n\r\n');
    expect(headerValue(fields, 'subject')).toBe('Réponse automatique');
    expect(headerValues(fields, 'received')).toEqual(['one', 'two']);
  });

  it('ends the header at the first empty line; a message that starts with one has no header', () => {
    expect(fieldsOf('\r\nFrom: a@b.test\r\n\r\nbody')).toEqual([]);
    expect(fieldsOf('From: a@b.test\n\nTo: c@d.test\n').map((f) => f.key)).toEqual(['from']);
  });
});
