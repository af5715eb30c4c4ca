import { decodeTransferEncoding } from './body-text';
import { findBodyStart, headerValue, parseHeaderFields, type HeaderField } from './header-fields';
import { parseContentType, type MimeParam } from './structured-value';

/**
 * One part of a message's MIME tree, as byte offsets into `source`: the mail store keeps them so
 * that FETCH BODY[1.2] is a slice, and a report reader slices the body it wants to decode.
 */
export interface MimeNode {
  /** The bytes the offsets count in: the message, or the decoded copy of an encoded embedded message. */
  source: Buffer;
  headerStart: number;
  bodyStart: number;
  bodyEnd: number;
  fields: HeaderField[];
  /**
   * Whether the Content-* fields count: always in a body part, in a message only with
   * MIME-Version or Content-Type (RFC 2045 section 4); `contentField` answers accordingly.
   */
  mime: boolean;
  /** Lower-cased; text/plain (message/rfc822 under multipart/digest) when absent or invalid (RFC 2045 5.2, RFC 2046 5.1.5). */
  type: string;
  subtype: string;
  params: MimeParam[];
  /** Content-Transfer-Encoding lower-cased; 7bit when absent. */
  encoding: string;
  /** The body parts of a multipart (empty when its boundary never occurs). */
  parts?: MimeNode[];
  /** The message inside a part of one of `messageTypes`. */
  message?: MimeNode;
  /** A multipart or embedded message left unopened: nested too deep, or more parts than allowed. */
  opaque: boolean;
}

export interface PartTreeOptions {
  /** Deeper nesting than this is hostile, not mail: such a container is left opaque. */
  maxDepth: number;
  /** Parts per message, every level together; a multipart that would pass it is left opaque. */
  maxParts: number;
  /** A header block longer than this ends there (a header flood is not a report); no limit when absent. */
  maxHeaderBytes?: number;
  /** `type/subtype` of the parts whose body is a message to read as one. */
  messageTypes: ReadonlySet<string>;
  /**
   * When set, an embedded message sent base64 or quoted-printable (message/global may be, RFC
   * 6532 section 3.5) is decoded, at most this many bytes, and read from the decoded copy;
   * otherwise every embedded message is read where it stands, as IMAP's offsets need.
   */
  decodeMessagesUpTo?: number;
}

interface Context {
  /** A message's top-level part: MIME only with MIME-Version or Content-Type. */
  messageRoot: boolean;
  inDigest: boolean;
  depth: number;
  /** Parts left for the whole message, shared by every level. */
  budget: { parts: number };
}

const LF = 0x0a;
const CR = 0x0d;
const HYPHEN = 0x2d;

/**
 * Reads the MIME tree of a message. Splitting follows RFC 2046 as Dovecot reads it: a delimiter
 * is a line that begins with `--boundary`, the line break before it belongs to it, a missing
 * close delimiter ends the last part at the parent's end, and the preamble and epilogue belong
 * to no part.
 */
export function parseMimeTree(raw: Buffer, options: PartTreeOptions): MimeNode {
  return parseNode(raw, 0, raw.length, { messageRoot: true, inDigest: false, depth: 0, budget: { parts: options.maxParts } }, options);
}

/** A Content-* field of the part, when its Content-* fields count (see `MimeNode.mime`); '' reads as absent. */
export function contentField(node: MimeNode, key: string): string | undefined {
  return (node.mime ? headerValue(node.fields, key) : undefined) || undefined;
}

/** The part's body as sent (still transfer-encoded). */
export function nodeBody(node: MimeNode): Buffer {
  return node.source.subarray(node.bodyStart, node.bodyEnd);
}

function parseNode(source: Buffer, start: number, end: number, context: Context, options: PartTreeOptions): MimeNode {
  const headerEnd = options.maxHeaderBytes === undefined ? end : Math.min(end, start + options.maxHeaderBytes);
  const bodyStart = findBodyStart(source, start, headerEnd);
  const fields = parseHeaderFields(source, start, bodyStart);
  const mime = !context.messageRoot || fields.some((f) => f.key === 'mime-version' || f.key === 'content-type');
  const node: MimeNode = { source, headerStart: start, bodyStart, bodyEnd: end, fields, mime, type: '', subtype: '', params: [], encoding: '', opaque: false };
  const contentType = mime ? parseContentType(headerValue(fields, 'content-type') ?? '') : null;
  if (contentType) Object.assign(node, contentType);
  else Object.assign(node, context.inDigest ? { type: 'message', subtype: 'rfc822' } : { type: 'text', subtype: 'plain' });
  node.encoding = (contentField(node, 'content-transfer-encoding') ?? '7bit').toLowerCase();

  const isMessage = options.messageTypes.has(`${node.type}/${node.subtype}`);
  if (node.type !== 'multipart' && !isMessage) return node;
  if (context.depth >= options.maxDepth) {
    node.opaque = true;
    return node;
  }
  const inner: Context = { messageRoot: false, inDigest: node.subtype === 'digest', depth: context.depth + 1, budget: context.budget };
  if (node.type === 'multipart') {
    const boundary = node.params.find(([name]) => name === 'boundary')?.[1];
    const ranges = boundary ? splitMultipart(source, bodyStart, end, boundary, context.budget.parts + 1) : [];
    if (ranges.length > context.budget.parts) {
      node.opaque = true;
      return node;
    }
    context.budget.parts -= ranges.length;
    node.parts = ranges.map(([s, e]) => parseNode(source, s, e, inner, options));
  } else {
    const message: Context = { ...inner, messageRoot: true, inDigest: false };
    const encoded = node.encoding === 'base64' || node.encoding === 'quoted-printable';
    if (options.decodeMessagesUpTo !== undefined && encoded) {
      const decoded = decodeTransferEncoding(nodeBody(node), node.encoding, options.decodeMessagesUpTo);
      node.message = parseNode(decoded, 0, decoded.length, message, options);
    } else {
      node.message = parseNode(source, bodyStart, end, message, options);
    }
  }
  return node;
}

/**
 * The [start, end) ranges of the body parts of a multipart body, at most `maxRanges` of them
 * (so a body of 800k delimiter lines is not listed in full only to be refused). A delimiter is
 * `--boundary` at the start of a line, found by indexOf rather than line by line.
 */
function splitMultipart(raw: Buffer, bodyStart: number, end: number, boundary: string, maxRanges: number): Array<[number, number]> {
  const delimiter = Buffer.from(`--${boundary}`, 'utf8');
  // A view that ends with the body: a search never runs on into the rest of the message.
  const body = raw.subarray(0, end);
  const ranges: Array<[number, number]> = [];
  let partStart = -1;
  let from = bodyStart;
  while (from < end) {
    const at = body.indexOf(delimiter, from);
    if (at === -1) break;
    if (at !== bodyStart && raw[at - 1] !== LF) {
      from = at + 1;
      continue;
    }
    if (partStart !== -1) {
      let partEnd = at;
      if (partEnd > bodyStart && raw[partEnd - 1] === LF) partEnd--;
      if (partEnd > bodyStart && raw[partEnd - 1] === CR) partEnd--;
      ranges.push([partStart, Math.max(partStart, partEnd)]);
      if (ranges.length >= maxRanges) return ranges;
    }
    const after = at + delimiter.length;
    if (after + 1 < end && raw[after] === HYPHEN && raw[after + 1] === HYPHEN) return ranges;
    let lf = body.indexOf(LF, after);
    if (lf === -1) lf = end - 1;
    partStart = Math.min(lf + 1, end);
    from = lf + 1;
  }
  if (partStart !== -1) ranges.push([partStart, end]);
  return ranges;
}
