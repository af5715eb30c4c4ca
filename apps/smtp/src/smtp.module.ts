import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { LOGGER, type Logger } from '@mailroom/logger';
import { InboundModule } from './inbound/inbound.module';
import { SubmissionModule } from './submission/submission.module';

/** The smtp listeners; needs PlatformModule in scope. */
@Module({ imports: [InboundModule, SubmissionModule] })
export class SmtpModule implements OnApplicationBootstrap {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  onApplicationBootstrap(): void {
    this.logger.info('smtp ready');
  }
}
