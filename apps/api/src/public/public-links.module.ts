import { Module } from '@nestjs/common';
import { BroadcastCopiesModule, CampaignsModule, TrackingModule, UnsubscribeModule } from '@mailroom/newsletter';
import { PublicLinksController } from './public-links.controller';

/**
 * Unsubscribe, tracking and web-version links (no API key), and the per-recipient copies of
 * broadcast and tracked API mail (BroadcastCopiesModule, global); needs PlatformModule in scope.
 */
@Module({
  imports: [UnsubscribeModule, TrackingModule, CampaignsModule, BroadcastCopiesModule],
  controllers: [PublicLinksController],
})
export class PublicLinksModule {}
