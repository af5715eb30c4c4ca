const LF_DOT = Buffer.from('\n.');
const DOT = Buffer.from('.');
const CRLF = Buffer.from('\r\n');
const TERMINATOR = Buffer.from('.\r\n');

/**
 * A message as a POP3 multi-line body (RFC 1939 3): every line that begins with "." gets one
 * more, and the body ends with CRLF "." CRLF. Returns slices of `message` (no copy of the bytes)
 * with the inserted dots between them, ready for one vectored write.
 */
export function dotStuffed(message: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  if (message.length && message[0] === 0x2e) {
    parts.push(DOT);
  }
  for (;;) {
    const at = message.indexOf(LF_DOT, from);
    if (at === -1) break;
    // Up to and including the LF, then the extra dot; the line's own dot comes with the next slice.
    parts.push(message.subarray(from, at + 1), DOT);
    from = at + 1;
  }
  if (from < message.length) parts.push(message.subarray(from));
  if (message.length && !endsWithLf(message)) parts.push(CRLF);
  parts.push(TERMINATOR);
  return parts;
}

function endsWithLf(message: Buffer): boolean {
  return message[message.length - 1] === 0x0a;
}

/**
 * The first `lines` lines of the body after the header (RFC 1939 TOP): the header, the blank
 * line and that many lines. A message without a blank line is all header.
 */
export function headerAndLines(message: Buffer, lines: number): Buffer {
  let end: number;
  if (message.subarray(0, 2).toString('latin1') === '\r\n') end = 2;
  else {
    const blank = message.indexOf('\r\n\r\n');
    if (blank === -1) return message;
    end = blank + 4;
  }
  for (let n = 0; n < lines && end < message.length; n++) {
    const lf = message.indexOf(0x0a, end);
    end = lf === -1 ? message.length : lf + 1;
  }
  return message.subarray(0, end);
}
