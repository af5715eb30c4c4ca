import { describe, expect, it } from 'vitest';
import { paramRecord, parseContentType, parseStructuredValue } from './structured-value';

describe('parseContentType', () => {
  it('reads type, subtype and parameters, lower-casing names', () => {
    expect(parseContentType('Multipart/Report; Report-Type=delivery-status; boundary="=_b c"')).toEqual({
      type: 'multipart',
      subtype: 'report',
      params: [
        ['report-type', 'delivery-status'],
        ['boundary', '=_b c'],
      ],
    });
    expect(parseContentType('')).toBeNull();
    expect(parseContentType('text')).toBeNull();
  });
});

// Bounce reports used libmime's reader, the mail store this one; these are where they differed.
describe('parameters, one reading for every reader', () => {
  const params = (value: string) => paramRecord(parseContentType(value)!.params);

  it('drops comments from values, as RFC 2045 section 5.1 shows with charset=us-ascii (Plain text)', () => {
    expect(params('text/plain; charset=us-ascii (Plain text)')).toEqual({ charset: 'us-ascii' });
    expect(params('multipart/mixed; boundary=b (comment)')).toEqual({ boundary: 'b' });
  });

  it('keeps the first of a repeated parameter and drops one without "="', () => {
    expect(params('multipart/mixed; boundary=b; boundary=c; charset')).toEqual({ boundary: 'b' });
  });

  it('decodes RFC 2231 values for readers, keeps their form for BODYSTRUCTURE', () => {
    const value = `application/pdf; name*0*=utf-8''r%C3%A9sum; name*1=".pdf"`;
    expect(params(value)).toEqual({ name: 'résum.pdf' });
    expect(parseStructuredValue(value).params).toEqual([['name*', "utf-8''r%C3%A9sum.pdf"]]);
  });
});
