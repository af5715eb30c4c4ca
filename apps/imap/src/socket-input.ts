import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

/** Turns a connection's bytes into what a session reads: IMAP frames, POP3 lines. */
export interface InputReader<T> {
  push(chunk: Buffer): void;
  next(): T | null | undefined;
  readonly buffered: number;
}

/**
 * A connection's input, shared by the IMAP and POP3 sessions: chunks go into the reader, and
 * reading pauses while more than `highWater` bytes wait (resuming below a quarter of it), so a
 * client that pipelines faster than it is answered holds a bounded buffer.
 */
export class SocketInput<T, R extends InputReader<T> = InputReader<T>> {
  private waiter: (() => void) | null = null;

  constructor(
    private readonly socket: Socket,
    readonly reader: R,
    private readonly highWater: number,
  ) {
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      if (reader.buffered > highWater) socket.pause();
      this.wake();
    });
  }

  /** Ends a wait in next(): input arrived, or the session closed. */
  wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  /**
   * The next item, or null once `closed()` says so. Before waiting for more input it calls
   * `flush`: what was said so far (a continuation request, pipelined answers) must reach the
   * client that waits for it.
   */
  async next(closed: () => boolean, flush: () => void): Promise<T | null> {
    for (;;) {
      if (closed()) return null;
      const item = this.reader.next();
      if (this.socket.isPaused() && this.reader.buffered < this.highWater / 4) this.socket.resume();
      if (item) return item;
      flush();
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

/** Settles once the socket has drained its queued output, or closed. */
export function drained(socket: Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** STARTTLS/STLS: the plain socket's listeners go (what was pipelined after the command is dropped), TLS takes over. */
export function upgradeToTls(plain: Socket, secureContext: SecureContext): TLSSocket {
  for (const event of ['data', 'timeout', 'close', 'error']) plain.removeAllListeners(event);
  return new TLSSocket(plain, { isServer: true, secureContext });
}
