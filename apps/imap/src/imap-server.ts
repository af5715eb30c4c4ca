import { createSecureContext } from 'node:tls';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { LOGGER, type Logger } from '@mailroom/logger';
import { shutdownDeadline } from '@mailroom/platform';
import { TlsMaterial } from '@mailroom/tls';
import { ConnectionSlots } from './connection-slots';
import { ImapMetrics } from './imap-metrics';
import { IMAP_OPTIONS, type ImapOptions } from './imap-options';
import { LoginLimiter } from './login-limiter';
import { MailListeners } from './mail-listeners';
import { FolderFeeds } from './session/folder-feed';
import { ImapSession, type SessionDeps } from './session/imap-session';
import { ImapStorage } from './storage/imap-storage';

/**
 * The two listeners (MailListeners): IMAP_PORT (plain, STARTTLS offered) and IMAPS_PORT
 * (implicit TLS), both on BIND_ADDRESS. Started on application bootstrap and stopped, with a BYE
 * to every client, first thing on shutdown.
 */
@Injectable()
export class ImapServer implements OnApplicationBootstrap, OnModuleDestroy {
  private listeners?: MailListeners<ImapSession>;

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
    const deps: SessionDeps = {
      storage: this.storage,
      limiter: this.limiter,
      options: this.options,
      maxAppendSize: this.config.MAX_MESSAGE_SIZE,
      logger: this.logger,
      secureContext: async () => secureContext,
      feeds: new FolderFeeds(this.storage),
      metrics: this.metrics,
    };
    // The session logs through a child logger that carries its id. Not the request context
    // (AsyncLocalStorage): on Node 22 its promise hooks tax every await of every command, and
    // bench:imap did ~6% fewer commands per CPU second with it.
    this.listeners = new MailListeners<ImapSession>({
      protocol: 'imap',
      bindAddress: this.config.BIND_ADDRESS,
      logger: this.logger,
      slots: this.slots,
      tooManyConnections: '* BYE Too many connections\r\n',
      gauge: this.metrics.connections,
      open: (socket, secure, closed) => new ImapSession(socket, deps, secure, closed),
    });
    await this.listeners.listen(keyPair, this.config.IMAP_PORT, this.config.IMAPS_PORT);
    this.logger.info({ address: this.config.BIND_ADDRESS, port: this.config.IMAP_PORT, tlsPort: this.config.IMAPS_PORT }, 'imap ready');
  }

  get connections(): number {
    return this.listeners?.sessions.size ?? 0;
  }

  /**
   * First phase of shutdown: stop listening, let each command in flight finish and be answered,
   * then BYE. Waits for the sessions' commands (until the shutdown deadline, at most 10 s) so none
   * runs once the database pool closes, in the last phase.
   */
  async onModuleDestroy(): Promise<void> {
    if (!this.listeners) return;
    const graceMs = this.config.SHUTDOWN_GRACE_SECONDS * 1000;
    await this.listeners.stop(Math.min(10_000, shutdownDeadline(graceMs) - Date.now() - graceMs / 4), 1_000);
  }
}
