import libmime from 'libmime';
import { decodeWords, unfoldHeaderBlock } from '@mailroom/mime';

/**
 * Just enough MIME to read reports: a header list and the part tree of multipart bodies, with
 * embedded messages (message/rfc822, message/global) opened as children. Reports are hostile
 * input, so depth and part count are capped and nothing is decoded that is not asked for.
 */
export interface MimeHeader {
  /** Lower-cased field name. */
  name: string;
  /** Unfolded value, encoded words left as they are. */
  value: string;
}

export interface MimePart {
  headers: MimeHeader[];
  /** Lower-cased `type/subtype`; text/plain when absent (RFC 2045 5.2). */
  contentType: string;
  params: Record<string, string>;
  /** The body as received (transfer-encoded). */
  body: Buffer;
  /** Parts of a multipart, or the one message inside a message/rfc822 part. */
  children: MimePart[];
}

export interface MimeLimits {
  maxDepth: number;
  maxParts: number;
  /** Header section longer than this is cut (a header flood is not a report). */
  maxHeaderBytes: number;
}

const DEFAULT_LIMITS: MimeLimits = { maxDepth: 6, maxParts: 200, maxHeaderBytes: 256 * 1024 };

const EMBEDDED_MESSAGE = new Set(['message/rfc822', 'message/global']);

export function parseMime(raw: Buffer | string, limits: Partial<MimeLimits> = {}): MimePart {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  const budget = { parts: lim.maxParts };
  return parsePart(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw, 0, lim, budget, 'text/plain');
}

function parsePart(raw: Buffer, depth: number, limits: MimeLimits, budget: { parts: number }, defaultType: string): MimePart {
  budget.parts--;
  const split = headerEnd(raw, limits.maxHeaderBytes);
  const headers = parseHeaders(raw.subarray(0, split.headerEnd).toString('latin1'));
  const body = raw.subarray(split.bodyStart);
  const typeHeader = header(headers, 'content-type');
  let contentType = defaultType;
  let params: Record<string, string> = {};
  if (typeHeader) {
    try {
      const parsed = libmime.parseHeaderValue(typeHeader);
      if (/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(parsed.value.trim())) contentType = parsed.value.trim().toLowerCase();
      params = parsed.params;
    } catch {
      // unparseable Content-Type: the default type, as RFC 2045 says for invalid ones
    }
  }
  const part: MimePart = { headers, contentType, params, body, children: [] };
  if (depth >= limits.maxDepth || budget.parts <= 0) return part;
  if (contentType.startsWith('multipart/') && params.boundary) {
    const childDefault = contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    for (const chunk of splitMultipart(body, params.boundary)) {
      if (budget.parts <= 0) break;
      part.children.push(parsePart(chunk, depth + 1, limits, budget, childDefault));
    }
  } else if (EMBEDDED_MESSAGE.has(contentType)) {
    part.children.push(parsePart(decodeBody(part), depth + 1, limits, budget, 'text/plain'));
  }
  return part;
}

/** Where the header section ends: the first empty line (CRLF or bare LF). */
function headerEnd(raw: Buffer, max: number): { headerEnd: number; bodyStart: number } {
  const limit = Math.min(raw.length, max);
  // A part that starts with an empty line has no headers.
  if (raw[0] === 0x0a) return { headerEnd: 0, bodyStart: 1 };
  if (raw[0] === 0x0d && raw[1] === 0x0a) return { headerEnd: 0, bodyStart: 2 };
  for (let i = 0; i < limit; i++) {
    if (raw[i] !== 0x0a) continue;
    if (raw[i + 1] === 0x0a) return { headerEnd: i + 1, bodyStart: i + 2 };
    if (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) return { headerEnd: i + 1, bodyStart: i + 3 };
  }
  return raw.length <= max ? { headerEnd: raw.length, bodyStart: raw.length } : { headerEnd: limit, bodyStart: limit };
}

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/** Unfolds and splits a header block; lines without a colon or with a malformed name are dropped. */
export function parseHeaders(block: string): MimeHeader[] {
  return unfoldHeaderBlock(block, (name) => FIELD_NAME.test(name)).map((field) => ({ name: field.name.toLowerCase(), value: field.value }));
}

export function header(headers: MimeHeader[], name: string): string | undefined {
  return headers.find((h) => h.name === name)?.value;
}

export function headerValues(headers: MimeHeader[], name: string): string[] {
  return headers.filter((h) => h.name === name).map((h) => h.value);
}

/** A header with RFC 2047 encoded words decoded (Subject, From display names). */
export function decodedHeader(headers: MimeHeader[], name: string): string | undefined {
  const value = header(headers, name);
  if (value === undefined) return undefined;
  return decodeWords(Buffer.from(value, 'latin1').toString('utf8'), value);
}

function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const parts: Buffer[] = [];
  let start = -1;
  let pos = 0;
  while (pos <= text.length) {
    const at = text.indexOf(delimiter, pos);
    if (at < 0) break;
    // A delimiter counts only at the start of a line.
    if (at !== 0 && text[at - 1] !== '\n') {
      pos = at + delimiter.length;
      continue;
    }
    const after = at + delimiter.length;
    const closing = text.startsWith('--', after);
    if (start >= 0) {
      // The CRLF before the delimiter belongs to it (RFC 2046 5.1.1).
      let end = at;
      if (text[end - 1] === '\n') end--;
      if (text[end - 1] === '\r') end--;
      parts.push(body.subarray(start, Math.max(start, end)));
    }
    if (closing) return parts;
    const eol = text.indexOf('\n', after);
    if (eol < 0) break;
    start = eol + 1;
    pos = start;
  }
  // No closing delimiter (truncated report): keep what came after the last delimiter.
  if (start >= 0 && start < body.length) parts.push(body.subarray(start));
  return parts;
}

/**
 * The body with its Content-Transfer-Encoding undone, at most `maxBytes` of it: reports are read
 * for a few lines, and a hostile 20 MB part must not cost 20 MB (or, as a JS array, 30 times that).
 */
export function decodeBody(part: MimePart, maxBytes = 1024 * 1024): Buffer {
  const encoding = (header(part.headers, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  if (encoding === 'base64') {
    const text = part.body.subarray(0, Math.ceil((maxBytes * 4) / 3) * 2).toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
    return Buffer.from(text.slice(0, Math.ceil(maxBytes / 3) * 4), 'base64').subarray(0, maxBytes);
  }
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(part.body.subarray(0, maxBytes * 3), maxBytes);
  return part.body.subarray(0, maxBytes);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** RFC 2045 6.7, byte by byte into a preallocated buffer; soft line breaks removed. */
function decodeQuotedPrintable(input: Buffer, maxBytes: number): Buffer {
  const out = Buffer.allocUnsafe(Math.min(input.length, maxBytes));
  let n = 0;
  for (let i = 0; i < input.length && n < out.length; i++) {
    const c = input[i]!;
    if (c === 0x3d) {
      // "=" then optional spaces then a line break: a soft break.
      let j = i + 1;
      while (input[j] === 0x20 || input[j] === 0x09) j++;
      if (input[j] === 0x0a || (input[j] === 0x0d && input[j + 1] === 0x0a)) {
        i = input[j] === 0x0d ? j + 1 : j;
        continue;
      }
      const hi = hexValue(input[i + 1] ?? -1);
      const lo = hexValue(input[i + 2] ?? -1);
      if (hi >= 0 && lo >= 0) {
        out[n++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[n++] = c;
  }
  return out.subarray(0, n);
}

/** A text part's content as a string, in its declared charset (UTF-8 when unknown). */
export function partText(part: MimePart, maxBytes = 1024 * 1024): string {
  const bytes = decodeBody(part, maxBytes);
  const charset = (part.params.charset ?? 'utf-8').trim().toLowerCase();
  try {
    return new TextDecoder(charset === 'us-ascii' || charset === 'ascii' ? 'utf-8' : charset).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** Depth-first walk over the part tree, the root included. */
export function* walkParts(root: MimePart): Generator<MimePart> {
  yield root;
  for (const child of root.children) yield* walkParts(child);
}
