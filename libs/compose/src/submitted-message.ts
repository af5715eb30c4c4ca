import { randomUUID } from 'node:crypto';
import { DomainError } from '@mailroom/common';
import { findBodyStart, headerValues, parseAddressList, parseHeaderFields, withoutHeaderFields, type HeaderField } from '@mailroom/mime';
import { headerValueProblem } from './headers';

export interface SubmittedHeaders {
  /** The header fields in order, read by libs/mime as every reader of mail here reads them. */
  fields: HeaderField[];
  /** Offset of the body (after the blank line), or the message length when there is none. */
  bodyOffset: number;
}

/**
 * Reads the header block of a message as a client sent it (it ends at the first empty line; a
 * message that starts with one has no header); the bytes themselves are not touched. Header
 * bytes may be UTF-8 (RFC 6532): values are read as such.
 */
export function readHeaders(raw: Buffer): SubmittedHeaders {
  const bodyOffset = findBodyStart(raw, 0, raw.length);
  return { fields: parseHeaderFields(raw, 0, bodyOffset), bodyOffset };
}

/**
 * The addresses To: and Cc: show, lower-cased, as mail readers list them (the lenient reading
 * that IMAP's ENVELOPE uses): a recipient of the envelope among them was sent the message openly,
 * any other is a Bcc recipient.
 */
export function visibleRecipients(headers: SubmittedHeaders): Set<string> {
  const shown = ['to', 'cc'].flatMap((key) => headerValues(headers.fields, key)).flatMap((value) => parseAddressList(value) ?? []);
  return new Set(shown.flatMap((a) => (a.host === null ? [] : [`${a.mailbox}@${a.host}`.toLowerCase()])));
}

/**
 * The message as sent, with a Date and a Message-ID put in front only when the client gave none
 * (RFC 6409 section 8). Returns the Message-ID the message carries, without brackets.
 */
export function completeSubmittedMessage(raw: Buffer, headers: SubmittedHeaders, messageIdDomain: string, now = new Date()): { raw: Buffer; messageId: string } {
  const added: string[] = [];
  let messageId = headerValues(headers.fields, 'message-id')[0]?.replace(/^<|>$/g, '').trim();
  if (!messageId) {
    messageId = `${randomUUID()}@${messageIdDomain}`;
    added.push(`Message-ID: <${messageId}>`);
  }
  if (!headerValues(headers.fields, 'date').length) added.push(`Date: ${rfc5322Date(now)}`);
  if (!added.length) return { raw, messageId };
  const eol = raw.indexOf('\r\n') >= 0 || raw.length === 0 ? '\r\n' : '\n';
  return { raw: Buffer.concat([Buffer.from(added.join(eol) + eol), raw]), messageId };
}

function rfc5322Date(date: Date): string {
  // "Mon, 23 Nov 2026 12:42:01 +0000"
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** The lines of the header block of a CRLF message (where `readHeaders` reads it), without its blank line. */
function headerLines(raw: Buffer): string[] {
  const block = raw.toString('latin1', 0, findBodyStart(raw, 0, raw.length)).replace(/\r\n(\r\n)?$/, '');
  return block ? block.split('\r\n') : [];
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
 * get the message: they are in the envelope. Nothing else changes.
 */
export function removeBccFields(raw: Buffer): Buffer {
  return withoutHeaderFields(raw, (field) => STRIPPED_FIELDS.has(field.key));
}
