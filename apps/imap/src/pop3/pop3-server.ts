import { createSecureContext } from 'node:tls';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { LOGGER, type Logger } from '@mailroom/logger';
import { TlsMaterial } from '@mailroom/tls';
import { ConnectionSlots } from '../connection-slots';
import { IMAP_OPTIONS, type ImapOptions } from '../imap-options';
import { LoginLimiter } from '../login-limiter';
import { MailListeners } from '../mail-listeners';
import { ImapStorage } from '../storage/imap-storage';
import { Pop3Session, type Pop3Deps } from './pop3-session';

/**
 * The POP3 listeners beside IMAP: POP3_PORT (plain, STLS offered) and POP3S_PORT (implicit TLS)
 * on BIND_ADDRESS, over the same storage adapter, passwords, failed-login counters and
 * connection slots as the IMAP server.
 */
@Injectable()
export class Pop3Server implements OnApplicationBootstrap, OnModuleDestroy {
  private listeners?: MailListeners<Pop3Session>;

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
    const deps: Pop3Deps = { storage: this.storage, limiter: this.limiter, options: this.options, logger: this.logger, secureContext: createSecureContext(keyPair) };
    this.listeners = new MailListeners<Pop3Session>({
      protocol: 'pop3',
      bindAddress: this.config.BIND_ADDRESS,
      logger: this.logger,
      slots: this.slots,
      tooManyConnections: '-ERR [SYS/TEMP] Too many connections\r\n',
      open: (socket, secure, closed) => new Pop3Session(socket, deps, secure, closed),
    });
    await this.listeners.listen(keyPair, this.config.POP3_PORT, this.config.POP3S_PORT);
    this.logger.info({ address: this.config.BIND_ADDRESS, port: this.config.POP3_PORT, tlsPort: this.config.POP3S_PORT }, 'pop3 ready');
  }

  /** Stops listening; a QUIT in flight finishes its removals, every other session ends removing nothing. */
  async onModuleDestroy(): Promise<void> {
    await this.listeners?.stop(10_000);
  }
}
