import { Module } from '@nestjs/common';
import { EventsModule } from '@mailroom/events';
import { MailStoreModule } from '@mailroom/mailstore';
import { UnsubscribeModule } from '@mailroom/newsletter';
import { InboundDelivery } from './inbound-delivery';
import { InboundDns } from './inbound-dns';
import { InboundMetrics } from './inbound-metrics';
import { InboundServer } from './inbound-server';
import { MessageAuthenticator } from './message-authenticator';
import { RecipientRouter } from './recipient-router';

/** The inbound MX (SPEC 7); needs PlatformModule in scope. */
@Module({
  imports: [MailStoreModule, UnsubscribeModule, EventsModule],
  providers: [InboundServer, RecipientRouter, InboundDelivery, MessageAuthenticator, InboundMetrics, InboundDns],
  exports: [InboundServer],
})
export class InboundModule {}
