import { Module } from '@nestjs/common';
import { BroadcastModule } from '../broadcast/broadcast.module';
import { UnsubscribeService } from './unsubscribe.service';

/** Unsubscribing by link and by mail; needs PlatformModule in scope. */
@Module({
  imports: [BroadcastModule],
  providers: [UnsubscribeService],
  exports: [UnsubscribeService, BroadcastModule],
})
export class UnsubscribeModule {}
