import { Module } from '@nestjs/common';
import { BroadcastModule } from './broadcast/broadcast.module';

/**
 * The newsletter half: contacts, lists, imports and opt-in (contacts/, lists/, imports/, opt-in/),
 * segments and campaigns (segments/, campaigns/), unsubscribe, tracking and the composition of a
 * broadcast message (unsubscribe/, tracking/, broadcast/). Needs PlatformModule in scope.
 */
@Module({
  imports: [BroadcastModule],
  providers: [],
  exports: [BroadcastModule],
})
export class NewsletterModule {}
