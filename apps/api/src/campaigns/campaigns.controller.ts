import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CampaignService, CampaignTestSender } from '@mailroom/newsletter';
import { AccountId } from '../http/auth';
import { JsonBody, ZodPipe } from '../http/zod';
import { createCampaignSchema, listCampaignsQuery, recipientsQuery, testSendSchema, updateCampaignSchema } from './campaign.schema';

/**
 * Campaigns: draft → scheduled → sending ⇄ paused → sent, or cancelled. An action the state does
 * not allow is 409; sending without a visible {{unsubscribe_url}} or with nobody in the audience
 * is 422.
 */
@ApiTags('campaigns')
@ApiBearerAuth()
@Controller('v1/campaigns')
export class CampaignsController {
  constructor(
    private readonly campaigns: CampaignService,
    private readonly tests: CampaignTestSender,
  ) {}

  @Post()
  @JsonBody(createCampaignSchema)
  create(@AccountId() accountId: string, @Body(new ZodPipe(createCampaignSchema)) body: z.infer<typeof createCampaignSchema>) {
    return this.campaigns.create(accountId, body);
  }

  @Get()
  list(@AccountId() accountId: string, @Query(new ZodPipe(listCampaignsQuery)) query: z.infer<typeof listCampaignsQuery>) {
    return this.campaigns.list(accountId, query);
  }

  /** State, progress (total, materialized, pending) and live results. */
  @Get(':id')
  get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.campaigns.get(accountId, id);
  }

  /** Recipients by status; `undelivered` (the default): bounced, blocked, failed or suppressed. */
  @Get(':id/recipients')
  recipients(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Query(new ZodPipe(recipientsQuery)) query: z.infer<typeof recipientsQuery>) {
    return this.campaigns.recipients(accountId, id, query);
  }

  /** Drafts and scheduled campaigns only. */
  @Patch(':id')
  @JsonBody(updateCampaignSchema)
  update(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(updateCampaignSchema)) body: z.infer<typeof updateCampaignSchema>) {
    return this.campaigns.update(accountId, id, body);
  }

  /** Drafts only. */
  @Delete(':id')
  @HttpCode(204)
  async remove(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.campaigns.delete(accountId, id);
  }

  /** Up to 10 addresses; not counted in the campaign's numbers. */
  @Post(':id/test')
  @HttpCode(202)
  @JsonBody(testSendSchema)
  async test(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(testSendSchema)) body: z.infer<typeof testSendSchema>) {
    return { data: await this.tests.send(accountId, id, body.emails) };
  }

  /** Now, or at send_at when that is ahead. */
  @Post(':id/send')
  @HttpCode(200)
  send(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.campaigns.send(accountId, id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  pause(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.campaigns.pause(accountId, id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  resume(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.campaigns.resume(accountId, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.campaigns.cancel(accountId, id);
  }

  /** A new draft campaign to this one's recipients that bounced, were blocked or failed. */
  @Post(':id/resend-failed')
  resendFailed(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.campaigns.resendFailed(accountId, id);
  }
}
