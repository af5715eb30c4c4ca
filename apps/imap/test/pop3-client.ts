import type { Socket } from 'node:net';
import { connectWire, WireClient, type WireOptions } from './wire-client';

/**
 * A bare POP3 client for protocol tests: sends exactly the bytes given and reads answers as
 * bytes (latin1, so octet counts are string lengths), a single line or a multi-line body.
 */
export class Pop3RawClient extends WireClient {
  private constructor(socket: Socket) {
    super(socket, 'latin1');
  }

  /** Connects and returns the client with the greeting read. `localAddress`: another loopback client address. */
  static async connect(port: number, options: WireOptions = {}): Promise<{ client: Pop3RawClient; greeting: string }> {
    const client = new Pop3RawClient(await connectWire(port, options));
    const greeting = await client.line();
    return { client, greeting };
  }

  private async until(test: () => number, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = test();
      if (end >= 0) {
        const out = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end);
        return out;
      }
      if (this.closed) throw new Error(`connection closed; got:\n${this.buffer}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got:\n${this.buffer.slice(0, 2000)}`);
      await this.more(left);
    }
  }

  /** The next answer line, CRLF included. */
  line(timeoutMs = 5000): Promise<string> {
    return this.until(() => {
      const at = this.buffer.indexOf('\r\n');
      return at === -1 ? -1 : at + 2;
    }, timeoutMs);
  }

  /** A whole multi-line answer: status line, body and the terminating ".". */
  multi(timeoutMs = 5000): Promise<string> {
    return this.until(() => {
      if (this.buffer.startsWith('-ERR')) {
        const at = this.buffer.indexOf('\r\n');
        return at === -1 ? -1 : at + 2;
      }
      const at = this.buffer.startsWith('.\r\n') ? 0 : this.buffer.indexOf('\r\n.\r\n');
      if (at === -1) return -1;
      return at === 0 ? 3 : at + 5;
    }, timeoutMs);
  }

  /** Everything up to the connection's close. */
  async rest(timeoutMs = 5000): Promise<string> {
    return this.until(() => (this.closed ? this.buffer.length : -1), timeoutMs);
  }

  async command(text: string): Promise<string> {
    this.send(`${text}\r\n`);
    return this.line();
  }

  /** USER and PASS; returns the answer to PASS. */
  async login(user: { address: string; password: string }): Promise<string> {
    await this.command(`USER ${user.address}`);
    return this.command(`PASS ${user.password}`);
  }

  async commandMulti(text: string): Promise<string> {
    this.send(`${text}\r\n`);
    return this.multi();
  }
}

/** Body lines of a multi-line answer, dot-unstuffed, without the status line and terminator. */
export function bodyOf(answer: string): string {
  const start = answer.indexOf('\r\n') + 2;
  const body = answer.slice(start, answer.length - 3);
  return body.replace(/^\./gm, '');
}
