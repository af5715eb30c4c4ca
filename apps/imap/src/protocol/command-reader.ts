/**
 * Splits the bytes a client sends into whole commands: a line, or lines joined by literals
 * (`{n}` synchronizing, `{n+}` non-synchronizing, RFC 7888). Memory stays bounded: a line longer
 * than the limit is skipped up to its end, a literal over the limit is refused before it is sent
 * (synchronizing) or discarded as it arrives (non-synchronizing), and both become a BAD answer.
 */

export interface ReaderLimits {
  /** Longest line of a command, literals excluded. */
  maxLineLength: number;
  /** Largest literal in any command but APPEND. */
  maxLiteralSize: number;
  /** Largest message APPEND accepts. */
  maxAppendSize: number;
  /** Most literals in one command. */
  maxLiterals: number;
}

/** A whole command: text segments with the literals that followed each, in order. */
export interface CommandFrame {
  kind: 'command';
  /** `segments.length === literals.length + 1`; literal i came after segment i. */
  segments: string[];
  literals: Buffer[];
}

export interface FrameError {
  kind: 'error';
  tag: string | null;
  /** `TOOBIG` for an APPEND over the size limit (RFC 7889), otherwise a BAD. */
  tooBig: boolean;
  message: string;
}

export type Frame = CommandFrame | FrameError;

type Mode =
  | { kind: 'line' }
  | { kind: 'literal'; remaining: number; chunks: Buffer[] }
  | { kind: 'discard-literal'; remaining: number; error: FrameError }
  | { kind: 'discard-line'; error: FrameError };

const LF = 0x0a;
const CR = 0x0d;
const LITERAL_MARK = /\{(\d{1,12})(\+?)\}$/;

export class CommandReader {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private mode: Mode = { kind: 'line' };
  private segments: string[] = [];
  private literals: Buffer[] = [];
  private tag: string | null = null;
  private isAppend = false;
  private literalBytes = 0;
  /**
   * Set once the session has logged in. Before that no command takes more than maxLiteralSize
   * per literal: a client that never logs in cannot make the server hold APPEND-sized literals.
   */
  authenticated: () => boolean = () => true;

  constructor(
    private readonly limits: ReaderLimits,
    /** Called when a synchronizing literal may be sent (`+ ...` to the client). */
    private readonly continueLiteral: () => void,
  ) {}

  /** Bytes received but not yet turned into commands. */
  get buffered(): number {
    return this.pendingLength;
  }

  push(chunk: Buffer): void {
    if (!chunk.length) return;
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
  }

  /** The next complete command or error, or null until more bytes arrive. */
  next(): Frame | null {
    for (;;) {
      const mode = this.mode;
      if (mode.kind === 'literal') {
        for (const piece of this.take(mode.remaining)) {
          mode.chunks.push(piece);
          mode.remaining -= piece.length;
        }
        if (mode.remaining > 0) return null;
        this.literals.push(mode.chunks.length === 1 ? mode.chunks[0] : Buffer.concat(mode.chunks));
        this.mode = { kind: 'line' };
        continue;
      }
      if (mode.kind === 'discard-literal') {
        for (const piece of this.take(mode.remaining)) mode.remaining -= piece.length;
        if (mode.remaining > 0) return null;
        // The rest of the command may carry more literals: skip lines the same way.
        this.mode = { kind: 'discard-line', error: mode.error };
        continue;
      }
      const line = this.takeLine();
      if (line === null) {
        if (this.pendingLength > this.limits.maxLineLength && mode.kind === 'line') {
          if (!this.segments.length) this.startCommand(this.pending[0].toString('latin1', 0, 200));
          const error = this.error('line too long');
          this.dropPending();
          this.mode = { kind: 'discard-line', error };
        } else if (mode.kind === 'discard-line') {
          this.dropPending();
        }
        return null;
      }
      if (mode.kind === 'discard-line') {
        const text = line.toString('latin1');
        const mark = LITERAL_MARK.exec(text);
        if (mark && mark[2] === '+') {
          this.mode = { kind: 'discard-literal', remaining: Number(mark[1]), error: mode.error };
          continue;
        }
        this.mode = { kind: 'line' };
        return this.finishWithError(mode.error);
      }
      if (line.length > this.limits.maxLineLength) {
        if (!this.segments.length) this.startCommand(line.toString('latin1', 0, 200));
        const error = this.error('line too long');
        return this.finishWithError(error);
      }
      const text = line.toString('utf8');
      if (!this.segments.length) this.startCommand(text);
      const mark = LITERAL_MARK.exec(text);
      if (!mark) {
        this.segments.push(text);
        const frame: CommandFrame = { kind: 'command', segments: this.segments, literals: this.literals };
        this.reset();
        return frame;
      }
      this.segments.push(text.slice(0, mark.index));
      const size = Number(mark[1]);
      const nonSync = mark[2] === '+';
      const appending = this.isAppend && this.authenticated();
      const limit = appending ? this.limits.maxAppendSize : this.limits.maxLiteralSize;
      // One command's literals together: an APPEND's message plus its small arguments at most.
      const total = this.literalBytes + size;
      const totalLimit = appending ? this.limits.maxAppendSize + this.limits.maxLiteralSize : this.limits.maxLiteralSize * 4;
      if (size > limit || total > totalLimit || this.literals.length >= this.limits.maxLiterals) {
        const error = this.error(
          size > limit ? `literal of ${size} bytes is over the limit of ${limit}` : total > totalLimit ? 'literals of this command are over the size limit' : 'too many literals',
        );
        // An APPEND (or a MULTIAPPEND's messages together) over its size is TOOBIG (RFC 7889), not a syntax error.
        error.tooBig = this.isAppend && (size > limit || total > totalLimit);
        if (!nonSync) return this.finishWithError(error); // the client waits for "+" and sends nothing
        this.mode = { kind: 'discard-literal', remaining: size, error };
        continue;
      }
      if (!nonSync) this.continueLiteral();
      this.literalBytes += size;
      this.mode = size ? { kind: 'literal', remaining: size, chunks: [] } : { kind: 'line' };
      if (!size) this.literals.push(Buffer.alloc(0));
    }
  }

  private startCommand(text: string): void {
    const match = /^(\S+)(?:\s+(\S+))?(?:\s+(\S+))?/.exec(text);
    this.tag = match ? match[1] : null;
    this.isAppend = (match?.[2] ?? '').toUpperCase() === 'APPEND';
  }

  private error(message: string): FrameError {
    return { kind: 'error', tag: this.tag, tooBig: false, message };
  }

  private finishWithError(error: FrameError): FrameError {
    this.reset();
    this.mode = { kind: 'line' };
    return error;
  }

  private reset(): void {
    this.segments = [];
    this.literals = [];
    this.tag = null;
    this.isAppend = false;
    this.literalBytes = 0;
  }

  /** A line without its CRLF (or bare LF), or null when no line end has arrived. */
  private takeLine(): Buffer | null {
    let offset = 0;
    for (let i = 0; i < this.pending.length; i++) {
      const chunk = this.pending[i];
      const lf = chunk.indexOf(LF);
      if (lf === -1) {
        offset += chunk.length;
        continue;
      }
      const length = offset + lf;
      const [line] = this.take(length + 1, true);
      let end = length;
      if (end > 0 && line[end - 1] === CR) end--;
      return line.subarray(0, end);
    }
    return null;
  }

  /** Removes up to `count` bytes from the front, as pieces (or one buffer with `joined`). */
  private take(count: number, joined = false): Buffer[] {
    const pieces: Buffer[] = [];
    let remaining = count;
    while (remaining > 0 && this.pending.length) {
      const chunk = this.pending[0];
      if (chunk.length <= remaining) {
        pieces.push(chunk);
        this.pending.shift();
        remaining -= chunk.length;
      } else {
        pieces.push(chunk.subarray(0, remaining));
        this.pending[0] = chunk.subarray(remaining);
        remaining = 0;
      }
    }
    const taken = count - remaining;
    this.pendingLength -= taken;
    if (joined) return [pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, taken)];
    return pieces;
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingLength = 0;
  }
}
