import { storableJson } from '@mailroom/common';
import { toCrlf } from '@mailroom/mime';
import { parseMessage, type MimePart } from './mime/mime-tree';
import type { Envelope } from './mime/envelope';
import { summarize, type MessageSummary } from './mime/message-text';

/** What is stored beside the raw bytes of a message so that FETCH and SEARCH need not parse it. */
export interface PreparedMessage extends MessageSummary {
  raw: Buffer;
  envelope: Envelope;
  /** The MIME tree with byte offsets: BODYSTRUCTURE and every BODY[section] come from it. */
  bodyStructure: MimePart;
}

/**
 * IMAP sizes and offsets count CRLF line ends; mail handed over with bare LF (a local pipe, a
 * test) is stored with CRLF so that RFC822.SIZE and the bytes FETCH returns agree.
 */
export function normalizeLineEnds(raw: Buffer): Buffer {
  // A bare CR stays: it is not a line end to IMAP, and the stored bytes are the message's own.
  return toCrlf(raw, { bareCr: false });
}

/**
 * The raw bytes are kept as received (bytea: a NUL is just a byte); everything decoded from
 * them for the text and jsonb columns (subject, addresses, ENVELOPE, BODYSTRUCTURE) passes
 * through storableJson here, the one place it is produced, so a NUL or a lone surrogate in a
 * header or an encoded word never makes a message unstorable.
 */
export function prepareMessage(input: Buffer): PreparedMessage {
  const raw = normalizeLineEnds(input);
  const parsed = parseMessage(raw);
  const decoded = storableJson({ envelope: parsed.envelope, bodyStructure: parsed.root, ...summarize(parsed) });
  return { raw, ...decoded };
}
