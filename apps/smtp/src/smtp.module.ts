import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { PreparedStatements } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { InboundModule } from './inbound/inbound.module';
import { SubmissionModule } from './submission/submission.module';

/**
 * The smtp listeners; needs PlatformModule in scope. Its repeated statements (the recipient's
 * domain and mailbox at every RCPT, the filing's) are prepared once per connection.
 */
@Module({ imports: [InboundModule, SubmissionModule], providers: [PreparedStatements] })
export class SmtpModule implements OnApplicationBootstrap {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  onApplicationBootstrap(): void {
    this.logger.info('smtp ready');
  }
}
