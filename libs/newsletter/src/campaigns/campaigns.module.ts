import { Module } from '@nestjs/common';
import { SendingModule } from '@mailroom/sending';
import { BroadcastModule } from '../broadcast/broadcast.module';
import { CampaignDispatcher } from './campaign-dispatcher';
import { CampaignInputResolver } from './campaign-input';
import { CampaignMessageBuilder } from './campaign-message-builder';
import { CampaignTestSender } from './campaign-test-sender';
import { CampaignWebVersion } from './campaign-web-version';
import { CampaignService } from './campaign.service';

/**
 * Campaigns: editing, sending, results (CampaignService), test sends, the web version, and the
 * dispatcher the workers tick. Needs PlatformModule in scope.
 */
@Module({
  imports: [SendingModule, BroadcastModule],
  providers: [CampaignService, CampaignInputResolver, CampaignMessageBuilder, CampaignTestSender, CampaignWebVersion, CampaignDispatcher],
  exports: [CampaignService, CampaignTestSender, CampaignWebVersion, CampaignDispatcher],
})
export class CampaignsModule {}
