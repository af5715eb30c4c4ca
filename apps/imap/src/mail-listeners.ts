import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from '@mailroom/logger';
import { settlesWithin } from '@mailroom/platform';
import type { TlsKeyPair } from '@mailroom/tls';
import { normalizeIp } from './client-address';
import type { ConnectionSlots } from './connection-slots';

/** What the listeners need of a session: start it, and end it when the process stops. */
export interface ListenedSession {
  start(): void;
  /** Server shutdown: finish the command in flight, then say goodbye. */
  shutdown(): void | Promise<void>;
  close(): void;
  /** Settles when the session has ended and its work is done. */
  readonly finished: Promise<void>;
}

export interface MailListenersOptions<S extends ListenedSession> {
  /** 'imap' or 'pop3': names the listeners in logs. */
  protocol: string;
  bindAddress: string;
  logger: Logger;
  slots: ConnectionSlots;
  /** The line a client gets when its IP (or the process) has no connection slot left. */
  tooManyConnections: string;
  /** Counts the open sessions (a metrics gauge), if given. */
  gauge?: { inc(): void; dec(): void };
  /** Makes the session of an accepted socket; `closed` gives its slot back. */
  open(socket: Socket, secure: boolean, closed: (session: S) => void): S;
}

/**
 * A protocol's two listeners on BIND_ADDRESS, one plain (STARTTLS/STLS offered) and one with
 * TLS from the first byte, and the sessions they accepted. Connections are capped per client IP
 * and per process by ConnectionSlots, which IMAP and POP3 share.
 */
export class MailListeners<S extends ListenedSession> {
  readonly sessions = new Set<S>();
  private readonly servers: Server[] = [];

  constructor(private readonly options: MailListenersOptions<S>) {}

  async listen(keyPair: TlsKeyPair, plainPort: number, tlsPort: number): Promise<void> {
    const { protocol, logger } = this.options;
    const plain = createServer((socket) => this.accept(socket, false));
    const implicit = createTlsServer({ ...keyPair, handshakeTimeout: 15_000 }, (socket: TLSSocket) => this.accept(socket, true));
    implicit.on('tlsClientError', (error) => logger.debug({ err: error }, `${protocol}s handshake failed`));
    await Promise.all([this.bind(plain, plainPort), this.bind(implicit, tlsPort)]);
  }

  /**
   * Shutdown: stops accepting, asks every session to finish (a command in flight is answered
   * first), and closes the sessions whose commands still run after `waitMs`, then waits
   * `afterCloseMs` at most for them to end. Resolves once the listening sockets are closed.
   */
  async stop(waitMs: number, afterCloseMs = 0): Promise<void> {
    const closing = this.stopListening();
    const sessions = [...this.sessions];
    await Promise.all(sessions.map((session) => session.shutdown()));
    const finished = () => Promise.all(sessions.map((session) => session.finished));
    if (!(await settlesWithin(finished(), waitMs))) {
      this.options.logger.warn(`${this.options.protocol} commands still running at shutdown; closing their sessions`);
      for (const session of sessions) session.close();
      if (afterCloseMs > 0) await settlesWithin(finished(), afterCloseMs);
    }
    await closing;
  }

  /** Stops accepting; resolves once the listening sockets are closed. */
  private stopListening(): Promise<void> {
    const closing = this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    this.servers.length = 0;
    return Promise.all(closing).then(() => undefined);
  }

  private bind(server: Server, port: number): Promise<void> {
    const { protocol, logger, bindAddress } = this.options;
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, bindAddress, () => {
        server.off('error', reject);
        server.on('error', (error) => logger.error({ err: error, port }, `${protocol} listener error`));
        resolve();
      });
    });
  }

  private accept(socket: Socket, secure: boolean): void {
    const { protocol, logger, slots } = this.options;
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const ip = normalizeIp(socket.remoteAddress ?? '');
    const release = slots.take(ip);
    if (!release) {
      logger.warn({ remote: ip }, `${protocol} connection refused: too many connections`);
      socket.end(this.options.tooManyConnections);
      return;
    }
    const { gauge } = this.options;
    const session = this.options.open(socket, secure, (closed) => {
      if (!this.sessions.delete(closed)) return;
      gauge?.dec();
      release();
    });
    this.sessions.add(session);
    gauge?.inc();
    session.start();
  }
}
