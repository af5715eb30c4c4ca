import { Module } from '@nestjs/common';
import { SenderDomains } from '@mailroom/sending';
import { CampaignInputResolver } from './campaign-input';
import { CampaignService } from './campaign.service';

/**
 * Campaigns as data: editing, starting (the audience freeze), pausing, results. PostgreSQL only,
 * no Redis: the operator's CLI sends and watches campaigns with it. Needs the database in scope.
 */
@Module({
  providers: [CampaignService, CampaignInputResolver, SenderDomains],
  exports: [CampaignService, CampaignInputResolver],
})
export class CampaignsCoreModule {}
