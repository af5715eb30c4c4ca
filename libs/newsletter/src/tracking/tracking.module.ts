import { Module } from '@nestjs/common';
import { BroadcastModule } from '../broadcast/broadcast.module';
import { EngagementRecorder } from './engagement-recorder';

/** Recording opens and clicks; needs PlatformModule in scope. */
@Module({
  imports: [BroadcastModule],
  providers: [EngagementRecorder],
  exports: [EngagementRecorder, BroadcastModule],
})
export class TrackingModule {}
