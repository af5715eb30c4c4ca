import { Module } from '@nestjs/common';
import { SendingModule } from '@mailroom/sending';
import { BroadcastModule } from '../broadcast/broadcast.module';
import { CampaignDispatcher } from './campaign-dispatcher';
import { CampaignMessageBuilder } from './campaign-message-builder';
import { CampaignTestSender } from './campaign-test-sender';
import { CampaignWebVersion } from './campaign-web-version';
import { CampaignsCoreModule } from './campaigns-core.module';

/**
 * Campaigns with their mail: the core (CampaignService) plus test sends, the web version, and the
 * dispatcher the workers tick. Needs PlatformModule in scope.
 */
@Module({
  imports: [CampaignsCoreModule, SendingModule, BroadcastModule],
  providers: [CampaignMessageBuilder, CampaignTestSender, CampaignWebVersion, CampaignDispatcher],
  exports: [CampaignsCoreModule, CampaignTestSender, CampaignWebVersion, CampaignDispatcher],
})
export class CampaignsModule {}
