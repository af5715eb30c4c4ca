import libmime from 'libmime';
import { unfoldedSignatures, type OpenSigningKey } from './signature-lines';

export { SIGNED_HEADERS, type OpenSigningKey } from './signature-lines';

/**
 * The DKIM-Signature header lines (CRLF-terminated, to put in front of the message) for
 * `message` with every key, folded as mailauth folded them (see unfoldedSignatures).
 */
export function relaxedSignatures(message: Buffer, domain: string, keys: OpenSigningKey[], now = Date.now()): string {
  return foldSignatures(unfoldedSignatures(message, domain, keys, now));
}

/**
 * Folds signature lines with libmime, as mailauth folds them. A fold only ever goes before
 * whitespace, so the relaxed form, which was signed unfolded, is the same.
 */
export function foldSignatures(lines: readonly string[]): string {
  return lines.map((line) => `${libmime.foldLines(line)}\r\n`).join('');
}
