import { Module, type DynamicModule } from '@nestjs/common';
import { MailStoreModule } from '@mailroom/mailstore';
import { ImapMetrics } from './imap-metrics';
import { DEFAULT_IMAP_OPTIONS, IMAP_OPTIONS, type ImapOptions } from './imap-options';
import { ImapServer } from './imap-server';
import { LoginLimiter } from './login-limiter';
import { ImapStorage } from './storage/imap-storage';

const providers = [ImapServer, ImapStorage, LoginLimiter, ImapMetrics];

/** The IMAP server: listeners start on application bootstrap. Needs PlatformModule in scope. */
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
