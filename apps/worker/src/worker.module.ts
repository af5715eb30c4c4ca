import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { PreparedStatements } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { CampaignsModule } from '@mailroom/newsletter';
import { EventsModule } from '@mailroom/events';
import { QueueModule } from '@mailroom/queue';
import { WebhooksModule } from '@mailroom/webhooks';
import { CampaignTicker } from './campaigns/campaign-ticker';
import { DeliveryProcessor } from './delivery/delivery.processor';
import { Sweeper } from './delivery/sweeper';
import { WorkerHeartbeat } from './delivery/worker-heartbeat';
import { WebhookDeliveryProcessor } from './webhooks/webhook-delivery.processor';
import { WebhookPump } from './webhooks/webhook-pump';

/**
 * Queue processors (deliveries, webhooks) and the campaign dispatcher; an application context
 * with no HTTP server.
 * Needs PlatformModule in scope.
 */
@Module({
  imports: [QueueModule, CampaignsModule, EventsModule, WebhooksModule],
  providers: [PreparedStatements, WorkerHeartbeat, DeliveryProcessor, Sweeper, CampaignTicker, WebhookPump, WebhookDeliveryProcessor],
})
export class WorkerModule implements OnApplicationBootstrap {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  onApplicationBootstrap(): void {
    this.logger.info('worker ready');
  }
}
