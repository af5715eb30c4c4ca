import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * A bare POP3 client for protocol tests: sends exactly the bytes given and reads answers as
 * bytes (latin1, so octet counts are string lengths), a single line or a multi-line body.
 */
export class Pop3RawClient {
  private buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(private socket: Socket) {
    this.listen(socket);
  }

  private listen(socket: Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  /** Connects and returns the client with the greeting read. `localAddress`: another loopback client address. */
  static async connect(port: number, options: { tls?: boolean; host?: string; localAddress?: string } = {}): Promise<{ client: Pop3RawClient; greeting: string }> {
    const plain = netConnect({ port, host: options.host ?? '127.0.0.1', localAddress: options.localAddress });
    const socket = options.tls ? tlsConnect({ socket: plain, rejectUnauthorized: false }) : plain;
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new Pop3RawClient(socket);
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
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
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

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(text: string): Promise<string> {
    this.send(`${text}\r\n`);
    return this.line();
  }

  async commandMulti(text: string): Promise<string> {
    this.send(`${text}\r\n`);
    return this.multi();
  }

  async startTls(): Promise<void> {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    const secure = tlsConnect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen(secure);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Body lines of a multi-line answer, dot-unstuffed, without the status line and terminator. */
export function bodyOf(answer: string): string {
  const start = answer.indexOf('\r\n') + 2;
  const body = answer.slice(start, answer.length - 3);
  return body.replace(/^\./gm, '');
}
