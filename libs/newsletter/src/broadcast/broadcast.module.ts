import { Module } from '@nestjs/common';
import { TrackingTokens } from '../tracking/tracking-tokens';
import { UnsubscribeTokens } from '../unsubscribe/unsubscribe-token';
import { BroadcastDecorator } from './broadcast-decorator';

/** The signed links and headers of broadcast mail; needs PlatformModule (config, Secrets) in scope. */
@Module({
  providers: [BroadcastDecorator, UnsubscribeTokens, TrackingTokens],
  exports: [BroadcastDecorator, UnsubscribeTokens, TrackingTokens],
})
export class BroadcastModule {}
