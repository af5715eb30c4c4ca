import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { LOGGER, type Logger } from '@mailroom/logger';
import { settlesWithin } from '@mailroom/platform';
import { TlsMaterial } from '@mailroom/tls';
import { normalizeIp } from '../client-address';
import { ConnectionSlots } from '../connection-slots';
import { IMAP_OPTIONS, type ImapOptions } from '../imap-options';
import { LoginLimiter } from '../login-limiter';
import { ImapStorage } from '../storage/imap-storage';
import { Pop3Session, type Pop3Deps } from './pop3-session';

/**
 * The POP3 listeners beside IMAP: POP3_PORT (plain, STLS offered) and POP3S_PORT (implicit TLS)
 * on BIND_ADDRESS, over the same storage adapter, passwords, failed-login counters and
 * connection slots as the IMAP server.
 */
@Injectable()
export class Pop3Server implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly servers: Server[] = [];
  private readonly sessions = new Set<Pop3Session>();
  private deps?: Pop3Deps;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(IMAP_OPTIONS) private readonly options: ImapOptions,
    private readonly tls: TlsMaterial,
    private readonly storage: ImapStorage,
    private readonly limiter: LoginLimiter,
    private readonly slots: ConnectionSlots,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const keyPair = await this.tls.keyPair();
    this.deps = { storage: this.storage, limiter: this.limiter, options: this.options, logger: this.logger, secureContext: createSecureContext(keyPair) };
    const plain = createServer((socket) => this.accept(socket, false));
    const implicit = createTlsServer({ ...keyPair, handshakeTimeout: 15_000 }, (socket: TLSSocket) => this.accept(socket, true));
    implicit.on('tlsClientError', (error) => this.logger.debug({ err: error }, 'pop3s handshake failed'));
    await Promise.all([this.listen(plain, this.config.POP3_PORT), this.listen(implicit, this.config.POP3S_PORT)]);
    this.logger.info({ address: this.config.BIND_ADDRESS, port: this.config.POP3_PORT, tlsPort: this.config.POP3S_PORT }, 'pop3 ready');
  }

  private listen(server: Server, port: number): Promise<void> {
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.BIND_ADDRESS, () => {
        server.off('error', reject);
        server.on('error', (error) => this.logger.error({ err: error, port }, 'pop3 listener error'));
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
      this.logger.warn({ remote: ip }, 'pop3 connection refused: too many connections');
      socket.end('-ERR [SYS/TEMP] Too many connections\r\n');
      return;
    }
    const session = new Pop3Session(socket, this.deps!, secure, (closed) => {
      this.sessions.delete(closed);
      release();
    });
    this.sessions.add(session);
    session.start();
  }

  /** Stops listening; a QUIT in flight finishes its removals, every other session ends removing nothing. */
  async onModuleDestroy(): Promise<void> {
    const closing = this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    const sessions = [...this.sessions];
    for (const session of sessions) session.shutdown();
    if (!(await settlesWithin(Promise.all(sessions.map((s) => s.finished)), 10_000))) {
      this.logger.warn('pop3 commands still running at shutdown; closing their sessions');
      for (const session of sessions) session.close();
    }
    await Promise.all(closing);
    this.servers.length = 0;
  }
}
