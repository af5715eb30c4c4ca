import {
  decodeCharset,
  decodeTransferEncoding,
  decodeWords,
  findBodyStart,
  headerValue,
  nodeBody,
  paramRecord,
  parseHeaderFields,
  parseMimeTree,
  type HeaderField,
  type MimeNode,
  type PartTreeOptions,
} from '@mailroom/mime';

/**
 * Reports as a tree of parts to search: libs/mime's MIME tree (the one the mail store keeps),
 * with embedded messages (message/rfc822, message/global) opened as children. Reports are
 * hostile input, so depth, part count and header size are capped and nothing is decoded that
 * is not asked for.
 */
export interface ReportPart {
  /** Header fields in order; look them up by lower-cased `key`. */
  headers: HeaderField[];
  /** Lower-cased `type/subtype`; text/plain when absent or invalid (RFC 2045 5.2). */
  contentType: string;
  /** Parameters by lower-cased name, RFC 2231 values decoded. */
  params: Record<string, string>;
  /** The body as received (transfer-encoded). */
  body: Buffer;
  /** Content-Transfer-Encoding, lower-cased; 7bit when absent. */
  encoding: string;
  /** Parts of a multipart, or the one message inside a message/rfc822 part. */
  children: ReportPart[];
}

export interface MimeLimits {
  maxDepth: number;
  maxParts: number;
  /** Header section longer than this is cut (a header flood is not a report). */
  maxHeaderBytes: number;
}

const DEFAULT_LIMITS: MimeLimits = { maxDepth: 6, maxParts: 200, maxHeaderBytes: 256 * 1024 };
/** An embedded message is read from at most this much of its decoded body. */
const MAX_EMBEDDED_BYTES = 1024 * 1024;
const EMBEDDED_MESSAGE = new Set(['message/rfc822', 'message/global']);

export function parseMime(raw: Buffer | string, limits: Partial<MimeLimits> = {}): ReportPart {
  const options: PartTreeOptions = { ...DEFAULT_LIMITS, ...limits, messageTypes: EMBEDDED_MESSAGE, decodeMessagesUpTo: MAX_EMBEDDED_BYTES };
  return toPart(parseMimeTree(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw, options));
}

function toPart(node: MimeNode): ReportPart {
  return {
    headers: node.fields,
    contentType: `${node.type}/${node.subtype}`,
    params: paramRecord(node.params),
    body: nodeBody(node),
    encoding: node.encoding,
    children: node.parts ? node.parts.map(toPart) : node.message ? [toPart(node.message)] : [],
  };
}

/** The header fields of a header block on its own (a text/rfc822-headers part). */
export function parseHeaders(block: Buffer): HeaderField[] {
  return parseHeaderFields(block, 0, findBodyStart(block, 0, block.length));
}

/** A header with RFC 2047 encoded words decoded (Subject, From display names). */
export function decodedHeader(headers: readonly HeaderField[], name: string): string | undefined {
  const value = headerValue(headers, name);
  return value === undefined ? undefined : decodeWords(value);
}

/**
 * The body with its Content-Transfer-Encoding undone, at most `maxBytes` of it: reports are read
 * for a few lines, and a hostile 20 MB part must not cost 20 MB (or, as a JS array, 30 times that).
 */
export function decodeBody(part: ReportPart, maxBytes = 1024 * 1024): Buffer {
  return decodeTransferEncoding(part.body, part.encoding, maxBytes);
}

/** A text part's content as a string, in its declared charset (UTF-8 when unknown). */
export function partText(part: ReportPart, maxBytes = 1024 * 1024): string {
  return decodeCharset(decodeBody(part, maxBytes), part.params.charset);
}

