/**
 * The header block of a message or MIME part, read straight from the raw bytes: where it ends,
 * and its fields with their raw bytes (for BODY[HEADER.FIELDS]) and unfolded values. The one
 * header reader: the mail store, IMAP, bounce reports, relay submissions and the inbound MX
 * read header fields with it.
 */

export interface HeaderField {
  /** The field name as written, without the colon. */
  name: string;
  /** Lower-cased name, for look-ups. */
  key: string;
  /** The value with folding line breaks removed and surrounding white space trimmed (UTF-8). */
  value: string;
  /** Byte offsets of the whole field in the raw message, continuation lines and CRLF included. */
  start: number;
  end: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;

/**
 * The offset where the body starts: just past the first empty line at or after `start`, or
 * `end` when the part has no empty line (a header with no body). An empty line at the very
 * start means an empty header.
 */
export function findBodyStart(raw: Buffer, start: number, end: number): number {
  let lineStart = start;
  while (lineStart < end) {
    const lf = raw.indexOf(LF, lineStart);
    if (lf === -1 || lf >= end) return end;
    const length = lf - lineStart;
    if (length === 0 || (length === 1 && raw[lineStart] === CR)) return lf + 1;
    lineStart = lf + 1;
  }
  return end;
}

/** Parses the fields of the header block `[start, bodyStart)`. Lines without a colon are skipped. */
export function parseHeaderFields(raw: Buffer, start: number, bodyStart: number): HeaderField[] {
  const fields: HeaderField[] = [];
  let current: { start: number; end: number } | null = null;
  const flush = () => {
    if (!current) return;
    const text = raw.toString('utf8', current.start, current.end);
    const colon = text.indexOf(':');
    if (colon > 0) {
      const name = text.slice(0, colon).trim();
      if (name && !/[\s]/.test(name)) {
        const value = text.slice(colon + 1).replace(/\r?\n/g, '').trim();
        fields.push({ name, key: name.toLowerCase(), value, start: current.start, end: current.end });
      }
    }
    current = null;
  };
  let lineStart = start;
  while (lineStart < bodyStart) {
    let lf = raw.indexOf(LF, lineStart);
    if (lf === -1 || lf >= bodyStart) lf = bodyStart - 1;
    const lineEnd = lf + 1;
    const blank = lf === lineStart || (lf === lineStart + 1 && raw[lineStart] === CR);
    if (blank) break;
    const first = raw[lineStart];
    if ((first === SP || first === HT) && current) {
      current.end = lineEnd;
    } else {
      flush();
      current = { start: lineStart, end: lineEnd };
    }
    lineStart = lineEnd;
  }
  flush();
  return fields;
}

/** The first field named `key` (lower-case), or undefined. */
export function headerValue(fields: readonly HeaderField[], key: string): string | undefined {
  return fields.find((field) => field.key === key)?.value;
}

/** Every field named `key` (lower-case), in order. */
export function headerValues(fields: readonly HeaderField[], key: string): string[] {
  return fields.filter((field) => field.key === key).map((field) => field.value);
}

/**
 * The message without the header fields `drop` picks, continuation lines and all; every other
 * byte stays. The same buffer when it picks none.
 */
export function withoutHeaderFields(raw: Buffer, drop: (field: HeaderField) => boolean): Buffer {
  const dropped = parseHeaderFields(raw, 0, findBodyStart(raw, 0, raw.length)).filter(drop);
  if (!dropped.length) return raw;
  const kept: Buffer[] = [];
  let at = 0;
  for (const field of dropped) {
    kept.push(raw.subarray(at, field.start));
    at = field.end;
  }
  kept.push(raw.subarray(at));
  return Buffer.concat(kept);
}

/** Counts LF characters in `[start, end)`: IMAP's line count for text parts, as Dovecot counts. */
export function countLines(raw: Buffer, start: number, end: number): number {
  let lines = 0;
  let at = raw.indexOf(LF, start);
  while (at !== -1 && at < end) {
    lines++;
    at = raw.indexOf(LF, at + 1);
  }
  return lines;
}
