import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { LOGGER, type Logger } from '@mailroom/logger';

/** The imap listeners; needs PlatformModule in scope. */
@Module({})
export class ImapModule implements OnApplicationBootstrap {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  onApplicationBootstrap(): void {
    this.logger.info('imap ready');
  }
}
