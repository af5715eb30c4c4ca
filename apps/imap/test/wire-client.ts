import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface WireOptions {
  /** TLS from the first byte (any certificate). */
  tls?: boolean;
  host?: string;
  /** Binds the client's end (127.0.0.x are all loopback on Linux): another client address. */
  localAddress?: string;
}

/** A connected socket for a bare test client. */
export async function connectWire(port: number, options: WireOptions = {}): Promise<Socket> {
  const plain = netConnect({ port, host: options.host ?? '127.0.0.1', localAddress: options.localAddress });
  const socket = options.tls ? tlsConnect({ socket: plain, rejectUnauthorized: false }) : plain;
  await new Promise<void>((resolve, reject) => {
    socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

/**
 * What the bare IMAP and POP3 clients of these tests share: exactly the bytes given go out, what
 * comes back is kept as text (`encoding`) until a test reads it, and STARTTLS/STLS on the
 * client's side.
 */
export abstract class WireClient {
  protected buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;

  protected constructor(
    private socket: Socket,
    private readonly encoding: BufferEncoding,
  ) {
    this.listen(socket);
  }

  private listen(socket: Socket): void {
    socket.setEncoding(this.encoding);
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

  /** Resolves once more arrives or the connection closes, or after `ms` at most. */
  protected more(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
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
