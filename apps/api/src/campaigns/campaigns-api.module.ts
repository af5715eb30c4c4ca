import { Module } from '@nestjs/common';
import { CampaignsModule, SegmentsModule } from '@mailroom/newsletter';
import { SegmentsController } from '../segments/segments.controller';
import { CampaignsController } from './campaigns.controller';

/** /v1/segments and /v1/campaigns. */
@Module({ imports: [SegmentsModule, CampaignsModule], controllers: [SegmentsController, CampaignsController] })
export class CampaignsApiModule {}
