import { connect, type Socket } from 'node:net';

/**
 * A minimal IMAP client for the mixed workload, for any server: one command in flight, the
 * answer complete at its tagged line; literals in answers (FETCH BODY[]) are skipped by their
 * announced length, so message bytes are never mistaken for a tagged line. APPEND sends its
 * literal with LITERAL+ when the server announces it, else waits for the continuation.
 */
export class MixClient {
  private buffer = '';
  /** Where the scan for the next complete line resumes, and where the current answer began. */
  private scanned = 0;
  private waiting: { tag: string; resolve: (text: string) => void; reject: (error: Error) => void } | null = null;
  private continuation: (() => void) | null = null;
  private closedError: Error | null = null;
  private n = 0;
  literalPlus = false;

  private constructor(
    private readonly socket: Socket,
    private readonly id: number,
  ) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.check();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closedError = new Error('connection closed');
      this.waiting?.reject(this.closedError);
    });
  }

  static async open(host: string, port: number, id: number): Promise<MixClient> {
    const socket = connect(port, host);
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new MixClient(socket, id);
    const greeting = await client.answer('*');
    client.literalPlus = /LITERAL[+-]/i.test(greeting);
    return client;
  }

  /** Complete logical lines (literals included) until one starts with `tag ` (`*` for the greeting). */
  private check(): void {
    if (this.continuation && /^\+/m.test(this.buffer.slice(this.scanned))) {
      const go = this.continuation;
      this.continuation = null;
      const at = this.buffer.indexOf('+', this.scanned);
      const end = this.buffer.indexOf('\r\n', at);
      if (end !== -1) this.buffer = this.buffer.slice(0, at) + this.buffer.slice(end + 2);
      go();
    }
    if (!this.waiting) return;
    let lineStart = this.scanned;
    for (;;) {
      // One logical line: text up to CRLF, where `{n}` before the CRLF carries n more bytes.
      let pos = lineStart;
      let complete = false;
      for (;;) {
        const end = this.buffer.indexOf('\r\n', pos);
        if (end === -1) break;
        const literal = /\{(\d+)\+?\}$/.exec(this.buffer.slice(Math.max(pos, end - 24), end));
        if (!literal) {
          pos = end + 2;
          complete = true;
          break;
        }
        const next = end + 2 + Number(literal[1]);
        if (next > this.buffer.length) break;
        pos = next;
      }
      if (!complete) {
        this.scanned = lineStart;
        return;
      }
      const tag = this.waiting.tag;
      const isTagged = tag === '*' ? this.buffer.startsWith('* ', lineStart) : this.buffer.startsWith(`${tag} `, lineStart);
      if (isTagged) {
        const text = this.buffer.slice(0, pos);
        this.buffer = this.buffer.slice(pos);
        this.scanned = 0;
        const waiting = this.waiting;
        this.waiting = null;
        waiting.resolve(text);
        return;
      }
      lineStart = pos;
    }
  }

  private answer(tag: string): Promise<string> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiting = { tag, resolve, reject };
      this.check();
    });
  }

  /** Sends a command and resolves with everything up to its tagged answer; NO and BAD reject unless allowed. */
  async command(text: string, allow: Array<'NO' | 'BAD'> = []): Promise<string> {
    const tag = `M${this.id}x${++this.n}`;
    const answer = this.answer(tag);
    this.socket.write(`${tag} ${text}\r\n`);
    return checkStatus(tag, text, await answer, allow);
  }

  /** APPEND with the message as a literal. */
  async append(folder: string, flags: string, message: Buffer): Promise<string> {
    const tag = `M${this.id}x${++this.n}`;
    const head = `${tag} APPEND ${folder} (${flags}) {${message.length}${this.literalPlus ? '+' : ''}}\r\n`;
    const answer = this.answer(tag);
    if (this.literalPlus) {
      this.socket.write(head);
    } else {
      const go = new Promise<void>((resolve) => (this.continuation = resolve));
      this.socket.write(head);
      this.check();
      await go;
    }
    this.socket.write(Buffer.concat([message, Buffer.from('\r\n')]));
    return checkStatus(tag, 'APPEND', await answer, []);
  }

  close(): void {
    this.socket.destroy();
  }
}

function checkStatus(tag: string, text: string, answer: string, allow: Array<'NO' | 'BAD'>): string {
  const status = new RegExp(`^${tag} (OK|NO|BAD)`, 'm').exec(answer)?.[1];
  if (status !== 'OK' && !allow.includes(status as 'NO' | 'BAD')) throw new Error(`${text.slice(0, 80)} -> ${answer.slice(-200).trim()}`);
  return answer;
}
