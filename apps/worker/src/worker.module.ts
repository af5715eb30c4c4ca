import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { LOGGER, type Logger } from '@mailroom/logger';

/** Queue processors; an application context with no HTTP server. Needs PlatformModule in scope. */
@Module({})
export class WorkerModule implements OnApplicationBootstrap {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  onApplicationBootstrap(): void {
    this.logger.info('worker ready');
  }
}
