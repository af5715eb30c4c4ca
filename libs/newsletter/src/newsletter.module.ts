import { Module } from '@nestjs/common';
import { ContactsModule } from './contacts/contacts.module';
import { BroadcastModule } from './broadcast/broadcast.module';
import { CampaignsModule } from './campaigns/campaigns.module';
import { SegmentsModule } from './segments/segments.module';

/**
 * The newsletter half: contacts, lists, imports and opt-in (contacts/, lists/, imports/, opt-in/),
 * segments and campaigns (segments/, campaigns/), unsubscribe, tracking and the composition of a
 * broadcast message (unsubscribe/, tracking/, broadcast/). Needs PlatformModule in scope.
 */
@Module({
  imports: [BroadcastModule, SegmentsModule, CampaignsModule, ContactsModule],
  providers: [],
  exports: [BroadcastModule, SegmentsModule, CampaignsModule, ContactsModule],
})
export class NewsletterModule {}
