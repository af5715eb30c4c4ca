import { decodeCharset, decodeTransferEncoding, decodeWords, formatAddresses, paramValue, type HeaderField } from '@mailroom/mime';
import type { MimePart, ParsedMessage } from './mime-tree';

/** The header fields kept beside each stored message for listings and SEARCH. */
export interface MessageSummary {
  subject: string;
  fromAddress: string;
  toAddresses: string;
  sentDate: Date | null;
  messageIdHeader: string | null;
}

export function summarize(parsed: ParsedMessage): MessageSummary {
  const { envelope } = parsed;
  const date = envelope.date ? parseMailDate(envelope.date) : null;
  return {
    subject: envelope.subject ? decodeWords(envelope.subject) : '',
    fromAddress: formatAddresses(envelope.from, decodeWords),
    toAddresses: formatAddresses(envelope.to, decodeWords),
    sentDate: date,
    messageIdHeader: envelope.messageId ? envelope.messageId.replace(/^\s*<|>\s*$/g, '') : null,
  };
}

/** An RFC 5322 date (comments and obsolete zones allowed); null when it is not one. */
export function parseMailDate(value: string): Date | null {
  const cleaned = value.replace(/\([^)]*\)/g, ' ').replace(/\s+/g, ' ').trim();
  const date = new Date(cleaned);
  if (Number.isNaN(date.getTime())) return null;
  // Keep it within what PostgreSQL and IMAP dates can hold.
  return date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999 ? null : date;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * The day a Date: header names as written, disregarding its time and zone (what SEARCH SENTON,
 * SENTBEFORE and SENTSINCE compare, RFC 3501 6.4.4), as midnight UTC of that day in
 * milliseconds; null when no day can be read. Two- and three-digit years as RFC 5322 4.3 says.
 */
export function writtenDay(value: string): number | null {
  const cleaned = value.replace(/\([^)]*\)/g, ' ');
  const match = /(?:^|[\s,])(\d{1,2})\s+([A-Za-z]{3})[A-Za-z]*\.?\s+(\d{2,4})(?=\s|$)/.exec(cleaned);
  if (!match) return null;
  const month = MONTHS.indexOf(match[2].toLowerCase());
  if (month === -1) return null;
  let year = Number(match[3]);
  if (match[3].length === 2) year += year < 50 ? 2000 : 1900;
  else if (match[3].length === 3) year += 1900;
  const day = Number(match[1]);
  if (day < 1 || day > 31) return null;
  return Date.UTC(year, month, day);
}

/** Header fields decoded for searching: `name: value` lines with encoded words decoded. */
export function searchableHeaders(fields: readonly HeaderField[]): string {
  return fields.map((field) => `${field.name}: ${decodeWords(field.value)}`).join('\n');
}

/**
 * The decoded text of every text/* part (transfer encoding and charset undone), which is what
 * SEARCH BODY looks in, as Dovecot does without a full-text index.
 */
export function searchableBody(raw: Buffer, root: MimePart, limit = 4 * 1024 * 1024): string {
  const chunks: string[] = [];
  let total = 0;
  const visit = (part: MimePart) => {
    if (total >= limit) return;
    if (part.parts) part.parts.forEach(visit);
    else if (part.message) visit(part.message.root);
    else if (part.type === 'text') {
      const text = decodeCharset(decodeTransferEncoding(raw.subarray(part.bodyStart, part.bodyEnd), part.encoding), paramValue(part.params, 'charset'));
      chunks.push(text);
      total += text.length;
    }
  };
  visit(root);
  return chunks.join('\n');
}
