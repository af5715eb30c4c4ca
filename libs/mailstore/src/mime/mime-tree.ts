import { contentField, countLines, parseMimeTree, parseStructuredValue, type HeaderField, type MimeNode, type MimeParam, type PartTreeOptions } from '@mailroom/mime';
import { buildEnvelope, type Envelope } from './envelope';

/**
 * The MIME structure of a message, computed once when it is stored: every part's byte offsets
 * (so FETCH BODY[1.2.MIME] is a slice of the raw message, no parsing) and what BODYSTRUCTURE
 * reports. The tree is libs/mime's `parseMimeTree`, which bounce reports are read with too.
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
/** IMAP reads an attached message where it stands: its offsets are slices of the stored bytes. */
const TREE_OPTIONS: PartTreeOptions = { maxDepth: MAX_DEPTH, maxParts: MAX_PARTS, messageTypes: new Set(['message/rfc822']) };

export function parseMessage(raw: Buffer): ParsedMessage {
  const tree = parseMimeTree(raw, TREE_OPTIONS);
  return { root: toPart(tree), envelope: buildEnvelope(tree.fields), headers: tree.fields };
}

/** What BODYSTRUCTURE reports of a part of the MIME tree (stored as JSON beside the message). */
function toPart(node: MimeNode): MimePart {
  const value = (key: string) => contentField(node, key) ?? null;
  const part: MimePart = {
    headerStart: node.headerStart,
    bodyStart: node.bodyStart,
    bodyEnd: node.bodyEnd,
    // An unopened container is still valid BODYSTRUCTURE grammar as opaque data.
    ...(node.opaque ? { type: 'application', subtype: 'octet-stream', params: [] } : { type: node.type, subtype: node.subtype, params: node.params }),
    id: value('content-id'),
    description: value('content-description'),
    encoding: node.encoding,
    md5: value('content-md5'),
    disposition: disposition(value('content-disposition')),
    language: language(value('content-language')),
    location: value('content-location'),
    lines: countLines(node.source, node.bodyStart, node.bodyEnd),
  };
  if (node.parts) part.parts = node.parts.map(toPart);
  if (node.message) part.message = { envelope: buildEnvelope(node.message.fields), root: toPart(node.message) };
  return part;
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
