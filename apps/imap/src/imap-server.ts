import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { LOGGER, type Logger } from '@mailroom/logger';
import { settlesWithin, shutdownDeadline } from '@mailroom/platform';
import { TlsMaterial } from '@mailroom/tls';
import { normalizeIp } from './client-address';
import { ConnectionSlots } from './connection-slots';
import { ImapMetrics } from './imap-metrics';
import { IMAP_OPTIONS, type ImapOptions } from './imap-options';
import { LoginLimiter } from './login-limiter';
import { FolderFeeds } from './session/folder-feed';
import { ImapSession, type SessionDeps } from './session/imap-session';
import { ImapStorage } from './storage/imap-storage';

/**
 * The two listeners: IMAP_PORT (plain, STARTTLS offered) and IMAPS_PORT (implicit TLS), both on
 * BIND_ADDRESS. Started on application bootstrap and stopped, with a BYE to every client, first
 * thing on shutdown. Connections are capped per client IP and per process (ConnectionSlots, shared with POP3).
 */
@Injectable()
export class ImapServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly servers: Server[] = [];
  private readonly sessions = new Set<ImapSession>();
  private deps?: SessionDeps;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(IMAP_OPTIONS) private readonly options: ImapOptions,
    private readonly tls: TlsMaterial,
    private readonly storage: ImapStorage,
    private readonly limiter: LoginLimiter,
    private readonly metrics: ImapMetrics,
    private readonly slots: ConnectionSlots,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const keyPair = await this.tls.keyPair();
    const secureContext = createSecureContext(keyPair);
    this.deps = {
      storage: this.storage,
      limiter: this.limiter,
      options: this.options,
      maxAppendSize: this.config.MAX_MESSAGE_SIZE,
      logger: this.logger,
      secureContext: async () => secureContext,
      feeds: new FolderFeeds(this.storage),
      metrics: this.metrics,
    };
    const plain = createServer((socket) => this.accept(socket, false));
    const implicit = createTlsServer({ ...keyPair, handshakeTimeout: 15_000 }, (socket: TLSSocket) => this.accept(socket, true));
    implicit.on('tlsClientError', (error) => this.logger.debug({ err: error }, 'imaps handshake failed'));
    await Promise.all([this.listen(plain, this.config.IMAP_PORT), this.listen(implicit, this.config.IMAPS_PORT)]);
    this.logger.info({ address: this.config.BIND_ADDRESS, port: this.config.IMAP_PORT, tlsPort: this.config.IMAPS_PORT }, 'imap ready');
  }

  private listen(server: Server, port: number): Promise<void> {
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.BIND_ADDRESS, () => {
        server.off('error', reject);
        server.on('error', (error) => this.logger.error({ err: error, port }, 'imap listener error'));
        resolve();
      });
    });
  }

  private accept(socket: Socket, secure: boolean): void {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const ip = normalizeIp(socket.remoteAddress ?? '');
    const release = this.slots.take(ip);
    if (!release) {
      this.logger.warn({ remote: ip }, 'imap connection refused: too many connections');
      socket.end('* BYE Too many connections\r\n');
      return;
    }
    const session = new ImapSession(socket, this.deps!, secure, (closed) => {
      if (!this.sessions.delete(closed)) return;
      this.metrics.connections.dec();
      release();
    });
    this.sessions.add(session);
    this.metrics.connections.inc();
    // The session logs through a child logger that carries its id. Not the request context
    // (AsyncLocalStorage): on Node 22 its promise hooks tax every await of every command, and
    // bench:imap did ~6% fewer commands per CPU second with it.
    session.start();
  }

  get connections(): number {
    return this.sessions.size;
  }

  /**
   * First phase of shutdown: stop listening, let each command in flight finish and be answered,
   * then BYE. Waits for the sessions' commands (until the shutdown deadline, at most 10 s) so none
   * runs once the database pool closes, in the last phase.
   */
  async onModuleDestroy(): Promise<void> {
    const closing = this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    const sessions = [...this.sessions];
    await Promise.all(sessions.map((session) => session.shutdown()));
    const graceMs = this.config.SHUTDOWN_GRACE_SECONDS * 1000;
    const waitMs = Math.min(10_000, shutdownDeadline(graceMs) - Date.now() - graceMs / 4);
    if (!(await settlesWithin(Promise.all(sessions.map((s) => s.finished)), waitMs))) {
      this.logger.warn('imap commands still running at shutdown; closing their sessions');
      for (const session of sessions) session.close();
      await settlesWithin(Promise.all(sessions.map((s) => s.finished)), 1_000);
    }
    await Promise.all(closing);
    this.servers.length = 0;
  }
}
