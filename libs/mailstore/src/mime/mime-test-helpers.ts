import { isImapDataRun, type ImapData } from './imap-data';

/** Writes IMAP data the way an IMAP server puts it on the wire (quoted strings only), for tests. */
export function renderImapData(value: ImapData): string {
  if (value === null) return 'NIL';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `"${value.replace(/(["\\])/g, '\\$1')}"`;
  if (isImapDataRun(value)) return value.run.map(renderImapData).join('');
  return `(${value.map(renderImapData).join(' ')})`;
}

/** Joins lines with CRLF, as messages travel. */
export const crlf = (...lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');
