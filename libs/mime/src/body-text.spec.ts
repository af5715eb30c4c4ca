import { describe, expect, it } from 'vitest';
import { decodeCharset, decodeTransferEncoding } from './body-text';

const qp = (text: string, maxBytes?: number) => decodeTransferEncoding(Buffer.from(text, 'latin1'), 'quoted-printable', maxBytes).toString('latin1');

describe('decodeTransferEncoding', () => {
  // RFC 2045 section 6.7, rule 3: trailing white space of an encoded line was added in transport
  // and is deleted, so "= " before a line break is a soft break too. The mail store kept both;
  // the report reader honoured the soft break but kept trailing white space on other lines.
  it('decodes quoted-printable with trailing white space deleted', () => {
    expect(qp('caf=C3=a9 =  \r\nnext \t\r\nlast')).toBe('caf\xc3\xa9 next\r\nlast');
    expect(qp('keep =ZZ and =3')).toBe('keep =ZZ and =3');
    expect(qp('=41=42=43=44', 2)).toBe('AB');
  });

  it('decodes base64 ignoring what is not base64, within the bound', () => {
    const encoded = Buffer.from('aGVs\r\nbG8g*d29y\r\nbGQ=');
    expect(decodeTransferEncoding(encoded, 'base64').toString()).toBe('hello world');
    expect(decodeTransferEncoding(encoded, 'base64', 4).toString()).toBe('hell');
    expect(decodeTransferEncoding(Buffer.from('as is'), '8bit', 2).toString()).toBe('as');
  });
});

describe('decodeCharset', () => {
  // The report reader fell back to latin1 for a label no decoder knows, the mail store to UTF-8:
  // UTF-8 now for both, as for a missing label.
  it('decodes the declared charset, UTF-8 for US-ASCII, none or an unknown label', () => {
    expect(decodeCharset(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'ISO-8859-1')).toBe('café');
    expect(decodeCharset(Buffer.from('café'), 'us-ascii')).toBe('café');
    expect(decodeCharset(Buffer.from('café'), undefined)).toBe('café');
    expect(decodeCharset(Buffer.from('café'), 'x-no-such-charset')).toBe('café');
  });
});
