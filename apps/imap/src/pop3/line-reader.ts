/** One command line from the client, or a line that was too long (its bytes dropped). */
export type Pop3Line = { kind: 'line'; text: string } | { kind: 'too-long' };

/**
 * Splits POP3 input into lines (CRLF, or a bare LF from lenient clients). Pipelined commands
 * (RFC 2449 PIPELINING) wait here in order; a line longer than `maxLineLength` is not kept:
 * its bytes are dropped as they come and it is reported once its end arrives.
 */
export class LineReader {
  private chunks: Buffer[] = [];
  private pendingBytes = 0;
  private readonly lines: Pop3Line[] = [];
  private discarding = false;

  constructor(private readonly maxLineLength: number) {}

  /** Bytes waiting: complete lines not yet taken plus the partial line. */
  get buffered(): number {
    return this.pendingBytes + this.lines.length * 16;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(0x0a, start);
      if (lf === -1) break;
      this.endLine(chunk.subarray(start, lf));
      start = lf + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  private keep(part: Buffer): void {
    if (this.discarding) return;
    if (this.pendingBytes + part.length > this.maxLineLength + 1) {
      this.discarding = true;
      this.chunks = [];
      this.pendingBytes = 0;
      return;
    }
    this.chunks.push(part);
    this.pendingBytes += part.length;
  }

  private endLine(tail: Buffer): void {
    if (!this.discarding) this.keep(tail);
    if (this.discarding) {
      this.discarding = false;
      this.lines.push({ kind: 'too-long' });
      return;
    }
    let bytes = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = [];
    this.pendingBytes = 0;
    if (bytes.length && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    if (bytes.length > this.maxLineLength) this.lines.push({ kind: 'too-long' });
    // latin1: every byte maps to one character, so a password in UTF-8 survives the round trip.
    else this.lines.push({ kind: 'line', text: bytes.toString('latin1') });
  }

  next(): Pop3Line | undefined {
    return this.lines.shift();
  }

  /** Lines already received after the current one (pipelined), without taking them. */
  peek(): readonly Pop3Line[] {
    return this.lines;
  }
}
