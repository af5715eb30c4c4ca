import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { LOGGER, type Logger } from '@mailroom/logger';
import { CampaignsModule } from '@mailroom/newsletter';
import { QueueModule } from '@mailroom/queue';
import { CampaignTicker } from './campaigns/campaign-ticker';
import { DeliveryProcessor } from './delivery/delivery.processor';
import { Sweeper } from './delivery/sweeper';
import { WorkerHeartbeat } from './delivery/worker-heartbeat';

/**
 * Queue processors and the campaign dispatcher; an application context with no HTTP server.
 * Needs PlatformModule in scope.
 */
@Module({ imports: [QueueModule, CampaignsModule], providers: [WorkerHeartbeat, DeliveryProcessor, Sweeper, CampaignTicker] })
export class WorkerModule implements OnApplicationBootstrap {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  onApplicationBootstrap(): void {
    this.logger.info('worker ready');
  }
}
