import { randomUUID } from 'node:crypto';
import { DomainError } from '@mailroom/common';
import { decodeWords, unfoldHeaderBlock } from '@mailroom/mime';
import { headerValueProblem } from './headers';

export interface SubmittedHeaders {
  /** Unfolded header fields in order, names as sent. */
  fields: Array<{ name: string; value: string }>;
  /** Offset of the body (after the blank line), or the message length when there is none. */
  bodyOffset: number;
}

/** Reads the header block of a message as a client sent it; the bytes themselves are not touched. */
export function readHeaders(raw: Buffer): SubmittedHeaders {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  let end: number;
  let bodyOffset: number;
  if (crlf >= 0 && (lf < 0 || crlf < lf)) [end, bodyOffset] = [crlf, crlf + 4];
  else if (lf >= 0) [end, bodyOffset] = [lf, lf + 2];
  else [end, bodyOffset] = [raw.length, raw.length];
  const fields = unfoldHeaderBlock(raw.subarray(0, end).toString('latin1'));
  // Header bytes may be UTF-8 (RFC 6532); decode values as such once split on ASCII structure.
  for (const field of fields) field.value = Buffer.from(field.value, 'latin1').toString('utf8');
  return { fields, bodyOffset };
}

export function headerValues(headers: SubmittedHeaders, name: string): string[] {
  const lower = name.toLowerCase();
  return headers.fields.filter((f) => f.name.toLowerCase() === lower).map((f) => f.value);
}

export function decodeHeaderText(value: string): string {
  return decodeWords(value);
}

/**
 * The message as sent, with a Date and a Message-ID put in front only when the client gave none
 * (RFC 6409 section 8). Returns the Message-ID the message carries, without brackets.
 */
export function completeSubmittedMessage(raw: Buffer, headers: SubmittedHeaders, messageIdDomain: string, now = new Date()): { raw: Buffer; messageId: string } {
  const added: string[] = [];
  let messageId = headerValues(headers, 'message-id')[0]?.replace(/^<|>$/g, '').trim();
  if (!messageId) {
    messageId = `${randomUUID()}@${messageIdDomain}`;
    added.push(`Message-ID: <${messageId}>`);
  }
  if (!headerValues(headers, 'date').length) added.push(`Date: ${rfc5322Date(now)}`);
  if (!added.length) return { raw, messageId };
  const eol = raw.indexOf('\r\n') >= 0 || raw.length === 0 ? '\r\n' : '\n';
  return { raw: Buffer.concat([Buffer.from(added.join(eol) + eol), raw]), messageId };
}

function rfc5322Date(date: Date): string {
  // "Mon, 23 Nov 2026 12:42:01 +0000"
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** Where the header block of a CRLF message ends (before its blank line), and its lines. */
function headerLines(raw: Buffer): string[] {
  if (raw[0] === 0x0d && raw[1] === 0x0a) return [];
  const blank = raw.indexOf('\r\n\r\n');
  const end = blank >= 0 ? blank : raw.length;
  const block = raw.subarray(0, end).toString('latin1');
  return block ? block.replace(/\r\n$/, '').split('\r\n') : [];
}

const FIELD_NAME = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/**
 * Refuses a header block that receivers could read otherwise than `readHeaders` does: a line
 * that is neither a field nor a folded continuation (some parsers end the header there, others
 * skip it), a folded first line, and control characters (a NUL cuts a field short for some
 * readers). Also a NUL anywhere in the message, which no SMTP receiver has to accept (RFC 5322
 * section 2.3). `raw` has CRLF line ends.
 */
export function checkSubmittedHeaderBlock(raw: Buffer): void {
  const lines = headerLines(raw);
  let field = '';
  for (const [i, line] of lines.entries()) {
    if (/^[ \t]/.test(line)) {
      if (i === 0) throw new DomainError('invalid', 'malformed_header', 'the first header line starts with a space; a message starts with a header field');
    } else {
      const name = FIELD_NAME.exec(line)?.[1];
      if (!name) throw new DomainError('invalid', 'malformed_header', `header line ${i + 1} ("${line.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}") is not a header field (name: value)`);
      field = name;
    }
    const problem = headerValueProblem(line);
    if (problem) throw new DomainError('invalid', 'header_control_character', `${field}: ${problem}`, { field });
  }
  if (raw.includes(0)) throw new DomainError('invalid', 'header_control_character', 'the message contains a NUL byte, which mail may not hold (RFC 5322 section 2.3)');
}

/** Fields a relay takes out before sending: Bcc is for the sender's copy (RFC 5322 section 3.6.3). */
const STRIPPED_FIELDS = new Set(['bcc', 'resent-bcc']);

/**
 * The message without its Bcc: and Resent-Bcc: fields (however cased or folded), as Postfix and
 * every provider send it: a Bcc recipient must not be seen by the others. The recipients still
 * get the message: they are in the envelope. `raw` has CRLF line ends; nothing else changes.
 */
export function removeBccFields(raw: Buffer): Buffer {
  const lines = headerLines(raw);
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    if (!/^[ \t]/.test(line)) dropping = STRIPPED_FIELDS.has((FIELD_NAME.exec(line)?.[1] ?? '').toLowerCase());
    if (!dropping) kept.push(line);
  }
  if (kept.length === lines.length) return raw;
  const headerBytes = lines.reduce((n, line) => n + line.length + 2, 0);
  const head = kept.length ? Buffer.from(kept.join('\r\n') + '\r\n', 'latin1') : Buffer.alloc(0);
  return Buffer.concat([head, raw.subarray(Math.min(headerBytes, raw.length))]);
}
