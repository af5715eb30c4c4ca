import { randomUUID } from 'node:crypto';
import libmime from 'libmime';

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
  const block = raw.subarray(0, end).toString('latin1');
  const fields: SubmittedHeaders['fields'] = [];
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1]!.value += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      if (colon > 0) fields.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
    }
  }
  // Header bytes may be UTF-8 (RFC 6532); decode values as such once split on ASCII structure.
  for (const field of fields) field.value = Buffer.from(field.value, 'latin1').toString('utf8');
  return { fields, bodyOffset };
}

export function headerValues(headers: SubmittedHeaders, name: string): string[] {
  const lower = name.toLowerCase();
  return headers.fields.filter((f) => f.name.toLowerCase() === lower).map((f) => f.value);
}

export function decodeHeaderText(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
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
