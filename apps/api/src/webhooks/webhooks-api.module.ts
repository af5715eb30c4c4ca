import { Module } from '@nestjs/common';
import { WebhooksModule } from '@mailroom/webhooks';
import { EventsController } from '../events/events.controller';
import { WebhooksController } from './webhooks.controller';

/** /v1/webhooks and /v1/events. */
@Module({ imports: [WebhooksModule], controllers: [WebhooksController, EventsController] })
export class WebhooksApiModule {}
