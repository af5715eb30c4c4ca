import { countLines, findBodyStart, headerValue, parseHeaderFields, parseStructuredValue, type HeaderField, type MimeParam } from '@mailroom/mime';
import { buildEnvelope, type Envelope } from './envelope';

/**
 * The MIME structure of a message, computed once when it is stored: every part's byte offsets
 * (so FETCH BODY[1.2.MIME] is a slice of the raw message, no parsing) and what BODYSTRUCTURE
 * reports. Splitting follows RFC 2046 as Dovecot reads it: the line break before a boundary
 * belongs to the boundary, a missing close delimiter ends the last part at the parent's end,
 * a part without Content-Type under multipart/digest is message/rfc822, otherwise text/plain.
 */
export interface MimePart {
  headerStart: number;
  bodyStart: number;
  bodyEnd: number;
  type: string;
  subtype: string;
  params: MimeParam[];
  id: string | null;
  description: string | null;
  encoding: string;
  md5: string | null;
  disposition: { type: string; params: MimeParam[] } | null;
  language: string[] | null;
  location: string | null;
  /** LF characters in the body (reported for text/* and message/rfc822 parts). */
  lines: number;
  /** Children of a multipart part (empty when its boundary never occurs). */
  parts?: MimePart[];
  /** The message inside a message/rfc822 part. */
  message?: { envelope: Envelope; root: MimePart };
}

export interface ParsedMessage {
  root: MimePart;
  envelope: Envelope;
  headers: HeaderField[];
}

/** Deeper nesting than this is treated as opaque data: it is hostile, not mail. */
const MAX_DEPTH = 40;
/** Parts per message: past this, a multipart is described as opaque data (25 MB of `--b` lines would be 800k parts). */
const MAX_PARTS = 10_000;
const LF = 0x0a;
const CR = 0x0d;

export function parseMessage(raw: Buffer): ParsedMessage {
  const bodyStart = findBodyStart(raw, 0, raw.length);
  const headers = parseHeaderFields(raw, 0, bodyStart);
  const root = parsePart(raw, 0, raw.length, { messageRoot: true, inDigest: false, depth: 0, budget: { parts: MAX_PARTS } }, headers, bodyStart);
  return { root, envelope: buildEnvelope(headers), headers };
}

interface PartContext {
  /** A message's top-level part: MIME only with MIME-Version or Content-Type. */
  messageRoot: boolean;
  inDigest: boolean;
  depth: number;
  /** Parts left for the whole message, shared by every level. */
  budget: { parts: number };
}

function parsePart(raw: Buffer, start: number, end: number, context: PartContext, knownHeaders?: HeaderField[], knownBodyStart?: number): MimePart {
  const bodyStart = knownBodyStart ?? findBodyStart(raw, start, end);
  const fields = knownHeaders ?? parseHeaderFields(raw, start, bodyStart);
  const isMime = !context.messageRoot || fields.some((f) => f.key === 'mime-version' || f.key === 'content-type');
  const value = (key: string) => (isMime ? headerValue(fields, key) : undefined) || null;

  const part: MimePart = {
    headerStart: start,
    bodyStart,
    bodyEnd: end,
    ...contentType(value('content-type'), context.inDigest),
    id: value('content-id'),
    description: value('content-description'),
    encoding: (value('content-transfer-encoding') ?? '7bit').toLowerCase(),
    md5: value('content-md5'),
    disposition: disposition(value('content-disposition')),
    language: language(value('content-language')),
    location: value('content-location'),
    lines: countLines(raw, bodyStart, end),
  };
  const opaque = () => {
    // Still valid BODYSTRUCTURE grammar: reported as opaque data rather than as a container.
    if (part.type === 'multipart' || (part.type === 'message' && part.subtype === 'rfc822')) Object.assign(part, { type: 'application', subtype: 'octet-stream', params: [] });
    return part;
  };
  if (context.depth >= MAX_DEPTH) return opaque();

  if (part.type === 'multipart') {
    const boundary = part.params.find(([name]) => name === 'boundary')?.[1];
    const ranges = boundary ? splitMultipart(raw, bodyStart, end, boundary, context.budget.parts + 1) : [];
    if (ranges.length > context.budget.parts) return opaque();
    context.budget.parts -= ranges.length;
    part.parts = ranges.map(([s, e]) => parsePart(raw, s, e, { messageRoot: false, inDigest: part.subtype === 'digest', depth: context.depth + 1, budget: context.budget }));
  } else if (part.type === 'message' && part.subtype === 'rfc822') {
    const innerBodyStart = findBodyStart(raw, bodyStart, end);
    const innerHeaders = parseHeaderFields(raw, bodyStart, innerBodyStart);
    const root = parsePart(raw, bodyStart, end, { messageRoot: true, inDigest: false, depth: context.depth + 1, budget: context.budget }, innerHeaders, innerBodyStart);
    part.message = { envelope: buildEnvelope(innerHeaders), root };
  }
  return part;
}

function contentType(header: string | null, inDigest: boolean): Pick<MimePart, 'type' | 'subtype' | 'params'> {
  if (header) {
    const parsed = parseStructuredValue(header);
    const slash = parsed.value.indexOf('/');
    if (slash > 0 && slash < parsed.value.length - 1) {
      return { type: parsed.value.slice(0, slash), subtype: parsed.value.slice(slash + 1), params: parsed.params };
    }
  }
  return inDigest ? { type: 'message', subtype: 'rfc822', params: [] } : { type: 'text', subtype: 'plain', params: [] };
}

function disposition(header: string | null): MimePart['disposition'] {
  if (!header) return null;
  const parsed = parseStructuredValue(header);
  return parsed.value ? { type: parsed.value, params: parsed.params } : null;
}

function language(header: string | null): string[] | null {
  if (!header) return null;
  const tags = header
    .replace(/\([^)]*\)/g, ' ')
    .split(/[\s,]+/)
    .filter(Boolean);
  return tags.length ? tags : null;
}

/**
 * The [start, end) ranges of the body parts of a multipart body. A delimiter is a line that
 * begins with `--boundary`; the [CR]LF before it belongs to it; `--boundary--` closes.
 */
function splitMultipart(raw: Buffer, bodyStart: number, end: number, boundary: string, maxRanges = Infinity): Array<[number, number]> {
  const delimiter = Buffer.from(`--${boundary}`, 'utf8');
  const ranges: Array<[number, number]> = [];
  let partStart = -1;
  let lineStart = bodyStart;
  while (lineStart < end) {
    let lf = raw.indexOf(LF, lineStart);
    if (lf === -1 || lf >= end) lf = end - 1;
    const isDelimiter = lineStart + delimiter.length <= end && raw.compare(delimiter, 0, delimiter.length, lineStart, lineStart + delimiter.length) === 0;
    if (isDelimiter) {
      if (partStart !== -1) {
        let partEnd = lineStart;
        if (partEnd > bodyStart && raw[partEnd - 1] === LF) partEnd--;
        if (partEnd > bodyStart && raw[partEnd - 1] === CR) partEnd--;
        ranges.push([partStart, Math.max(partStart, partEnd)]);
        if (ranges.length >= maxRanges) return ranges;
      }
      const after = lineStart + delimiter.length;
      const close = after + 1 < end && raw[after] === 0x2d && raw[after + 1] === 0x2d;
      if (close) return ranges;
      partStart = Math.min(lf + 1, end);
    }
    lineStart = lf + 1;
  }
  if (partStart !== -1) ranges.push([partStart, end]);
  return ranges;
}
