import { createHash } from 'node:crypto';

/**
 * RFC 6376 relaxed canonicalization (3.4.2 header, 3.4.4 body) on the message's bytes. A bare LF
 * ends a line as CRLF does (mailauth and dkimpy read it so, and SMTP clients send it as CRLF); a
 * CR that is not before an LF is content. Header bytes go through latin1 strings, which keep
 * every byte; the body is never turned into a string.
 */

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const DOUBLE_SPACE = Buffer.from('  ');

export interface HeaderField {
  /** The name as written, without surrounding whitespace (what h= lists). */
  name: string;
  /** The name lower-cased (ASCII only), to match against the signed list. */
  key: string;
  /** The field's lines joined without their line ends, as latin1. */
  unfolded: string;
}

/** A line that opens a field (RFC 5322 3.6.8 name, colon); any other line continues the one above, as mailauth reads it. */
const FIELD_START = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

/** The header fields of the block [0, end), in order. */
export function headerFields(message: Buffer, end: number): HeaderField[] {
  const lines = message.toString('latin1', 0, end).split(/\r?\n/);
  const fields: HeaderField[] = [];
  let current: string[] | null = null;
  const close = () => {
    if (!current) return;
    const unfolded = current.join('');
    const name = unfolded.slice(0, unfolded.indexOf(':')).replace(/^[ \t]+|[ \t]+$/g, '');
    fields.push({ name, key: lowerAscii(name), unfolded });
  };
  for (const line of lines) {
    if (FIELD_START.test(line)) {
      close();
      current = [line];
    } else if (current) {
      current.push(line);
    }
    // A line before the first field (only an empty one, as findBodyStart reads it) is not a field.
  }
  close();
  return fields;
}

/** 3.4.2: lower-case name, no whitespace around the colon, WSP runs as one SP, none at the ends; CRLF-terminated. */
export function relaxedHeader(field: HeaderField): string {
  const colon = field.unfolded.indexOf(':');
  const value = field.unfolded.slice(colon + 1).replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
  return `${field.key}:${value}\r\n`;
}

/** ASCII-only lower-casing: toLowerCase would map latin1 0xC0-0xDE and change UTF-8 bytes. */
function lowerAscii(value: string): string {
  return /[^\x00-\x7f]/.test(value) ? value.replace(/[A-Z]/g, (c) => c.toLowerCase()) : value.toLowerCase();
}

// One scratch buffer per thread, grown as needed: signing is synchronous, nothing else holds it.
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * The SHA-256 of the relaxed body (3.4.4) of `message` from `start`, base64. Lines that need no
 * change (no tab, no double space, no trailing space, CRLF-terminated) are hashed as they are;
 * with none to change, the body is hashed in place without a copy.
 */
export function relaxedBodyHash(message: Buffer, start: number): string {
  const end = message.length;
  let out: Buffer | null = null; // null: the canonical body so far is message[start, cleanEnd)
  let cleanEnd = start;
  let outLength = 0;
  let keep = 0; // canonical length up to the last non-empty line (trailing empty lines are dropped)
  let nextTab = indexOrEnd(message, TAB, start, end);
  let nextDouble = indexOrEnd(message, DOUBLE_SPACE, start, end);

  for (let lineStart = start; lineStart < end; ) {
    const lf = message.indexOf(LF, lineStart);
    const hasEnd = lf >= 0;
    const next = hasEnd ? lf + 1 : end;
    const crlf = hasEnd && lf > lineStart && message[lf - 1] === CR;
    const contentEnd = crlf ? lf - 1 : hasEnd ? lf : end;
    if (nextTab < lineStart) nextTab = indexOrEnd(message, TAB, lineStart, end);
    if (nextDouble < lineStart) nextDouble = indexOrEnd(message, DOUBLE_SPACE, lineStart, end);
    const last = message[contentEnd - 1];
    const clean = crlf && nextTab >= contentEnd && nextDouble >= contentEnd && (contentEnd === lineStart || (last !== SP && last !== TAB));
    if (clean && !out) {
      cleanEnd = next;
      if (contentEnd > lineStart) keep = next - start;
      lineStart = next;
      continue;
    }
    if (!out) {
      // Canonical lines are never longer than their source, but for the CR a bare LF gains and the CRLF a last line gains.
      out = room(2 * (end - start) + 2);
      message.copy(out, 0, start, cleanEnd);
      outLength = cleanEnd - start;
    }
    if (clean) {
      message.copy(out, outLength, lineStart, next);
      outLength += next - lineStart;
      if (contentEnd > lineStart) keep = outLength;
    } else {
      const contentLength = relaxLine(message, lineStart, contentEnd, out, outLength);
      outLength += contentLength;
      // A last line without a line end gets one (3.4.4 b.2); an empty one is an empty line, dropped if last.
      out[outLength++] = CR;
      out[outLength++] = LF;
      if (contentLength) keep = outLength;
    }
    lineStart = next;
  }
  const hash = createHash('sha256');
  hash.update(out ? out.subarray(0, keep) : message.subarray(start, start + keep));
  return hash.digest('base64');
}

/** Writes line [from, to) of `source` relaxed into `target` at `at`: no trailing WSP, each inner WSP run one SP. Returns its length. */
function relaxLine(source: Uint8Array, from: number, to: number, target: Uint8Array, at: number): number {
  let stop = to;
  while (stop > from && (source[stop - 1] === SP || source[stop - 1] === TAB)) stop--;
  let write = at;
  let space = false;
  for (let i = from; i < stop; i++) {
    const byte = source[i]!;
    if (byte === SP || byte === TAB) {
      space = true;
    } else {
      if (space) {
        target[write++] = SP;
        space = false;
      }
      target[write++] = byte;
    }
  }
  return write - at;
}

function indexOrEnd(message: Buffer, needle: number | Buffer, from: number, end: number): number {
  const at = message.indexOf(needle, from);
  return at < 0 ? end : at;
}

function room(size: number): Buffer {
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  return scratch;
}
