import { decode as decodeQuotedPrintable } from 'libqp';

/**
 * A body with its Content-Transfer-Encoding undone (RFC 2045 section 6): base64 ignoring what is
 * not in its alphabet, quoted-printable by libqp (soft line breaks, "=XX" escapes, trailing white
 * space of a line deleted as rule 3 of section 6.7 says, a malformed "=" kept as it is); any other
 * encoding is the bytes themselves. `maxBytes` bounds the work and the result: a reader that
 * looks at a few lines of a hostile 20 MB part must not pay for all of it.
 */
export function decodeTransferEncoding(body: Buffer, encoding: string, maxBytes = Infinity): Buffer {
  if (encoding === 'base64') {
    const input = Number.isFinite(maxBytes) ? body.subarray(0, Math.ceil((maxBytes * 4) / 3) * 2) : body;
    const text = input.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
    return Buffer.from(Number.isFinite(maxBytes) ? text.slice(0, Math.ceil(maxBytes / 3) * 4) : text, 'base64').subarray(0, maxBytes);
  }
  if (encoding === 'quoted-printable') {
    // Every decoded byte takes at most three encoded ones (and a soft break three more per line).
    return decodeQuotedPrintable(Number.isFinite(maxBytes) ? body.subarray(0, maxBytes * 3) : body).subarray(0, maxBytes);
  }
  return Number.isFinite(maxBytes) ? body.subarray(0, maxBytes) : body;
}

const UTF8 = new TextDecoder('utf-8');

/**
 * Text in its declared charset. UTF-8 when none is declared, when the label is US-ASCII (the
 * WHATWG decoder would read that label as windows-1252) and when no decoder knows the label:
 * UTF-8 reads ASCII alike, and what it cannot read becomes U+FFFD.
 */
export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const label = (charset ?? '').trim().toLowerCase();
  let decoder = UTF8;
  if (label && label !== 'us-ascii' && label !== 'ascii') {
    try {
      decoder = new TextDecoder(label);
    } catch {
      // a label no decoder knows: UTF-8
    }
  }
  return decoder.decode(bytes);
}
