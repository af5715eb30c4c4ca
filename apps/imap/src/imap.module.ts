import { Module, type DynamicModule } from '@nestjs/common';
import { PreparedStatements } from '@mailroom/db';
import { MailStoreModule } from '@mailroom/mailstore';
import { ConnectionSlots } from './connection-slots';
import { ImapMetrics } from './imap-metrics';
import { DEFAULT_IMAP_OPTIONS, IMAP_OPTIONS, type ImapOptions } from './imap-options';
import { ImapServer } from './imap-server';
import { LoginLimiter } from './login-limiter';
import { Pop3Server } from './pop3/pop3-server';
import { ImapStorage } from './storage/imap-storage';

const providers = [ImapServer, Pop3Server, ImapStorage, LoginLimiter, ImapMetrics, ConnectionSlots, PreparedStatements];

/** The IMAP server and its POP3 sibling on the same mailboxes: listeners start on application bootstrap. Needs PlatformModule in scope. */
@Module({
  imports: [MailStoreModule],
  providers: [...providers, { provide: IMAP_OPTIONS, useValue: DEFAULT_IMAP_OPTIONS }],
})
export class ImapModule {
  /** The same module with some limits changed (tests, benchmarks). */
  static withOptions(options: Partial<ImapOptions>): DynamicModule {
    return {
      module: ImapModule,
      imports: [MailStoreModule],
      providers: [...providers, { provide: IMAP_OPTIONS, useValue: { ...DEFAULT_IMAP_OPTIONS, ...options } }],
    };
  }
}
