import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CampaignService, CampaignTestSender } from '@mailroom/newsletter';
import { AccountId } from '../http/auth';
import { ApiDoc } from '../http/openapi';
import { ZodPipe } from '../http/zod';
import { campaignDetail, campaignPage, campaignRecipientPage, campaignView, resendAnswer, testSendAnswer } from './campaign.openapi';
import { createCampaignSchema, listCampaignsQuery, recipientsQuery, testSendSchema, updateCampaignSchema } from './campaign.schema';

/**
 * Campaigns: draft → scheduled → sending ⇄ paused → sent, or cancelled. An action the state does
 * not allow is 409; sending without a visible {{unsubscribe_url}} or with nobody in the audience
 * is 422.
 */
@ApiTags('campaigns')
@Controller('v1/campaigns')
export class CampaignsController {
  constructor(
    private readonly campaigns: CampaignService,
    private readonly tests: CampaignTestSender,
  ) {}

  @Post()
  @ApiDoc({ summary: 'Create a campaign (a draft)', body: createCampaignSchema, response: campaignView, status: 201, errors: [404, 422] })
  create(@AccountId() accountId: string, @Body(new ZodPipe(createCampaignSchema)) body: z.infer<typeof createCampaignSchema>) {
    return this.campaigns.create(accountId, body);
  }

  @Get()
  @ApiDoc({ summary: 'List campaigns, newest first', query: listCampaignsQuery, response: campaignPage })
  list(@AccountId() accountId: string, @Query(new ZodPipe(listCampaignsQuery)) query: z.infer<typeof listCampaignsQuery>) {
    return this.campaigns.list(accountId, query);
  }

  /** State, progress (total, materialized, pending) and live results. */
  @Get(':id')
  @ApiDoc({ summary: 'A campaign: state, progress and live results', response: campaignDetail, errors: [404] })
  get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.campaigns.get(accountId, id);
  }

  /** Recipients by status; `undelivered` (the default): bounced, blocked, failed or suppressed. */
  @Get(':id/recipients')
  @ApiDoc({ summary: 'A campaign\'s recipients by status (undelivered by default)', query: recipientsQuery, response: campaignRecipientPage, errors: [404] })
  recipients(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Query(new ZodPipe(recipientsQuery)) query: z.infer<typeof recipientsQuery>) {
    return this.campaigns.recipients(accountId, id, query);
  }

  /** Drafts and scheduled campaigns only. */
  @Patch(':id')
  @ApiDoc({ summary: 'Change a draft or scheduled campaign', body: updateCampaignSchema, response: campaignView, errors: [404, 409, 422] })
  update(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(updateCampaignSchema)) body: z.infer<typeof updateCampaignSchema>) {
    return this.campaigns.update(accountId, id, body);
  }

  /** Drafts only. */
  @Delete(':id')
  @HttpCode(204)
  @ApiDoc({ summary: 'Delete a draft', errors: [404, 409] })
  async remove(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.campaigns.delete(accountId, id);
  }

  /** Up to 10 addresses; not counted in the campaign's numbers. */
  @Post(':id/test')
  @HttpCode(202)
  @ApiDoc({ summary: 'Send a test to up to 10 addresses', body: testSendSchema, response: testSendAnswer, status: 202, errors: [404, 422] })
  async test(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(testSendSchema)) body: z.infer<typeof testSendSchema>) {
    return { data: await this.tests.send(accountId, id, body.emails) };
  }

  /** Now, or at send_at when that is ahead. */
  @Post(':id/send')
  @HttpCode(200)
  @ApiDoc({ summary: 'Send now, or at send_at when that is ahead', response: campaignDetail, errors: [404, 409, 422] })
  send(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.campaigns.send(accountId, id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiDoc({ summary: 'Pause a sending campaign', response: campaignDetail, errors: [404, 409] })
  pause(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.campaigns.pause(accountId, id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiDoc({ summary: 'Resume a paused campaign', response: campaignDetail, errors: [404, 409] })
  resume(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.campaigns.resume(accountId, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiDoc({ summary: 'Cancel a campaign for good', response: campaignDetail, errors: [404, 409] })
  cancel(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.campaigns.cancel(accountId, id);
  }

  /** A new draft campaign to this one's recipients that bounced, were blocked or failed. */
  @Post(':id/resend-failed')
  @ApiDoc({ summary: 'A new draft to the recipients that bounced, were blocked or failed', response: resendAnswer, status: 201, errors: [404, 409, 422] })
  resendFailed(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.campaigns.resendFailed(accountId, id);
  }
}
