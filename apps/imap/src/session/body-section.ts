import type { MimePart } from '@mailroom/mailstore';
import { decodeTransferEncoding, findBodyStart, parseHeaderFields } from '@mailroom/mime';
import type { BinaryItem, BodySectionItem } from '../protocol/fetch-items';

const CRLF = Buffer.from('\r\n');

/**
 * The bytes of BODY[section] (RFC 3501 6.4.5), sliced from the raw message with the offsets of
 * the stored MIME tree. Part numbers address multipart children; inside a message/rfc822 part
 * they address the parts of the attached message; a non-multipart body is its own part 1.
 * Returns null for a part that does not exist (the response then carries NIL).
 */
export function bodySection(raw: Buffer, root: MimePart, item: BodySectionItem): Buffer | null {
  let part: MimePart = root;
  for (let i = 0; i < item.path.length; i++) {
    const n = item.path[i];
    if (i > 0 && part.message) part = part.message.root;
    if (part.parts) {
      const child = part.parts[n - 1];
      if (!child) return null;
      part = child;
    } else if (n !== 1) {
      return null;
    }
  }
  let bytes: Buffer;
  if (!item.path.length) {
    bytes = messageSection(raw, 0, root.bodyStart, raw.length, item);
  } else if (item.text === '') {
    bytes = raw.subarray(part.bodyStart, part.bodyEnd);
  } else if (item.text === 'MIME') {
    bytes = raw.subarray(part.headerStart, part.bodyStart);
  } else if (part.message) {
    bytes = messageSection(raw, part.bodyStart, part.message.root.bodyStart, part.bodyEnd, item);
  } else if (part.type === 'message' && part.subtype === 'rfc822') {
    bytes = messageSection(raw, part.bodyStart, findBodyStart(raw, part.bodyStart, part.bodyEnd), part.bodyEnd, item);
  } else {
    // HEADER/TEXT of a part that is not a message: nothing there (Dovecot answers empty).
    bytes = Buffer.alloc(0);
  }
  if (item.partial) {
    const start = Math.min(item.partial.start, bytes.length);
    bytes = bytes.subarray(start, Math.min(bytes.length, start + item.partial.length));
  }
  return bytes;
}

/** HEADER, HEADER.FIELDS[.NOT], TEXT or everything of a message that spans [start, end). */
function messageSection(raw: Buffer, start: number, bodyStart: number, end: number, item: BodySectionItem): Buffer {
  switch (item.text) {
    case '':
      return raw.subarray(start, end);
    case 'TEXT':
      return raw.subarray(bodyStart, end);
    case 'HEADER':
      return raw.subarray(start, bodyStart);
    default: {
      const wanted = new Set(item.fields.map((f) => f.toLowerCase()));
      const keep = item.text === 'HEADER.FIELDS';
      const pieces: Buffer[] = [];
      for (const field of parseHeaderFields(raw, start, bodyStart)) {
        if (wanted.has(field.key) === keep) {
          const bytes = raw.subarray(field.start, field.end);
          pieces.push(bytes);
          if (bytes[bytes.length - 1] !== 0x0a) pieces.push(CRLF);
        }
      }
      pieces.push(CRLF);
      return Buffer.concat(pieces);
    }
  }
}

/**
 * BINARY[part] (RFC 3516): the part's body with base64 or quoted-printable undone (7bit, 8bit
 * and binary as they are); a multipart or message part, and BINARY[] (the whole message), as
 * stored. Null for a part that does not exist; 'unknown-cte' for an encoding it cannot undo.
 */
export function binarySection(raw: Buffer, root: MimePart, item: BinaryItem): Buffer | null | 'unknown-cte' {
  let bytes: Buffer;
  if (!item.path.length) {
    bytes = raw;
  } else {
    const body = bodySection(raw, root, { kind: 'section', label: '', peek: true, path: item.path, text: '', fields: [], partial: null });
    if (body === null) return null;
    let part: MimePart = root;
    for (let i = 0; i < item.path.length; i++) {
      if (i > 0 && part.message) part = part.message.root;
      if (part.parts) part = part.parts[item.path[i] - 1]!;
    }
    const encoding = (part.encoding ?? '').toLowerCase();
    if (part.parts || part.message || ['', '7bit', '8bit', 'binary'].includes(encoding)) bytes = body;
    else if (encoding === 'base64' || encoding === 'quoted-printable') bytes = decodeTransferEncoding(body, encoding);
    else return 'unknown-cte';
  }
  if (item.partial) {
    const start = Math.min(item.partial.start, bytes.length);
    bytes = bytes.subarray(start, Math.min(bytes.length, start + item.partial.length));
  }
  return bytes;
}
