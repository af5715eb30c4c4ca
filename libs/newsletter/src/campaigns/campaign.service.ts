import { Injectable } from '@nestjs/common';
import { DomainError, newOrderedId, notFound } from '@mailroom/common';
import {
  CampaignDispatchRepository,
  CampaignRepository,
  SegmentRepository,
  UNDELIVERED_STATUSES,
  type Audience,
  type Campaign,
  type CampaignStatus,
} from '@mailroom/db';
import { parseSegmentFilter } from '../segments/segment-filter.schema';
import { CampaignInputResolver, type CampaignInput } from './campaign-input';
import { campaignView, progressView, recipientView, resultsView } from './campaign-view';

/** A campaign's states and what each action takes it from (README: Campaigns). */
const ACTIONS = {
  edited: ['draft', 'scheduled'],
  deleted: ['draft'],
  sent: ['draft', 'scheduled'],
  paused: ['sending'],
  resumed: ['paused'],
  cancelled: ['scheduled', 'sending', 'paused'],
  'sent again': ['sent', 'cancelled'],
} as const satisfies Record<string, readonly CampaignStatus[]>;

type Action = keyof typeof ACTIONS;

/**
 * Campaigns of an account: drafts edited, sent now or scheduled, paused, resumed, cancelled, and
 * read with their progress and live results. Sending freezes the audience (one INSERT … SELECT,
 * CampaignDispatchRepository.start); the workers' dispatcher does the rest. An action a campaign's
 * state does not allow is a 409 that says which states do.
 */
@Injectable()
export class CampaignService {
  constructor(
    private readonly campaigns: CampaignRepository,
    private readonly dispatch: CampaignDispatchRepository,
    private readonly segments: SegmentRepository,
    private readonly input: CampaignInputResolver,
  ) {}

  async create(accountId: string, input: CampaignInput) {
    const fields = await this.input.resolve(accountId, input);
    return campaignView(await this.campaigns.create(accountId, { id: newOrderedId(), ...fields }));
  }

  async list(accountId: string, options: { limit: number; cursor?: string; status?: CampaignStatus }) {
    const rows = await this.campaigns.list(accountId, { ...options, limit: options.limit + 1 });
    const page = rows.slice(0, options.limit);
    return { data: page.map(campaignView), next_cursor: rows.length > options.limit ? page[page.length - 1]!.id : null };
  }

  /** The campaign with its progress and live results. */
  async get(accountId: string, id: string) {
    const campaign = await this.find(accountId, id);
    return { ...campaignView(campaign), progress: progressView(campaign), results: resultsView(campaign, await this.campaigns.results(accountId, campaign)) };
  }

  async update(accountId: string, id: string, input: CampaignInput) {
    const current = await this.find(accountId, id);
    this.allow(current, 'edited');
    const fields = await this.input.resolve(accountId, input, current);
    const changes: Parameters<CampaignRepository['update']>[3] = { ...fields };
    delete (changes as { parentCampaignId?: unknown }).parentCampaignId;
    if (current.status === 'scheduled') {
      // Still to go out as scheduled: it must still be sendable; without a time it is a draft again.
      if (!fields.sendAt) changes.status = 'draft';
      else await this.input.checkSendable({ ...current, ...fields });
    }
    const updated = await this.campaigns.update(accountId, id, [current.status], changes);
    if (!updated) throw notFound('campaign');
    if (!updated.changed) this.allow(updated.campaign, 'edited', true);
    return campaignView(updated.campaign);
  }

  async delete(accountId: string, id: string): Promise<void> {
    const campaign = await this.find(accountId, id);
    this.allow(campaign, 'deleted');
    if (!(await this.campaigns.delete(accountId, id, [...ACTIONS.deleted]))) this.allow(await this.find(accountId, id), 'deleted', true);
  }

  /**
   * Sends a draft now, or schedules it when send_at is ahead; a scheduled campaign sent is sent
   * now. Refused (422) without a visible unsubscribe link, with an unverified sender domain, or
   * when nobody is in the audience.
   */
  async send(accountId: string, id: string) {
    const campaign = await this.find(accountId, id);
    this.allow(campaign, 'sent');
    await this.input.checkSendable(campaign);
    if (campaign.status === 'draft' && campaign.sendAt && campaign.sendAt.getTime() > Date.now()) {
      const scheduled = await this.campaigns.update(accountId, id, ['draft'], { status: 'scheduled' });
      if (!scheduled?.changed) this.allow(scheduled?.campaign ?? campaign, 'sent', true);
      return this.get(accountId, id);
    }
    const total = await this.start(campaign, [campaign.status], true);
    if (total === 'empty') throw new DomainError('invalid', 'empty_audience', 'cannot send: no active, subscribed contact is in the audience');
    if (total === null) this.allow(await this.find(accountId, id), 'sent', true);
    return this.get(accountId, id);
  }

  /**
   * Freezes the audience and makes the campaign `sending` (from one of `from`): the number of
   * recipients, 'empty' (nothing changed) when `requireAudience` and nobody qualifies, or null
   * when the campaign had left those states. The dispatcher starts scheduled campaigns with it.
   */
  async start(campaign: Campaign, from: CampaignStatus[], requireAudience: boolean): Promise<number | 'empty' | null> {
    return this.dispatch.start(campaign.accountId, campaign.id, from, await this.audience(campaign), requireAudience);
  }

  async pause(accountId: string, id: string) {
    return this.move(accountId, id, 'paused', 'paused');
  }

  async resume(accountId: string, id: string) {
    return this.move(accountId, id, 'resumed', 'sending');
  }

  /** Stops for good: nobody not yet materialized gets it; messages already handed to delivery go. */
  async cancel(accountId: string, id: string) {
    const campaign = await this.find(accountId, id);
    this.allow(campaign, 'cancelled');
    if (!(await this.campaigns.cancel(accountId, id, [...ACTIONS.cancelled]))) this.allow(await this.find(accountId, id), 'cancelled', true);
    return this.get(accountId, id);
  }

  /**
   * "Send again to the recipients that failed": a new draft with the same content whose audience
   * is this campaign's recipients that bounced, were blocked or failed (frozen when it is sent;
   * addresses suppressed since are skipped then).
   */
  async resendFailed(accountId: string, id: string) {
    const parent = await this.find(accountId, id);
    this.allow(parent, 'sent again');
    const failed = await this.campaigns.undeliveredCount(parent.id);
    if (!failed) throw new DomainError('invalid', 'nothing_to_resend', 'no recipient of this campaign bounced, was blocked or failed');
    const copy = await this.campaigns.create(accountId, {
      id: newOrderedId(),
      domainId: parent.domainId,
      templateId: parent.templateId,
      segmentId: null,
      listIds: [],
      excludeListIds: parent.excludeListIds,
      name: `${parent.name} (resend)`.slice(0, 200),
      fromAddress: parent.fromAddress,
      replyTo: parent.replyTo,
      subject: parent.subject,
      preheader: parent.preheader,
      html: parent.html,
      text: parent.text,
      tags: parent.tags,
      trackOpens: parent.trackOpens,
      trackClicks: parent.trackClicks,
      ratePerMinute: parent.ratePerMinute,
      sendAt: null,
      parentCampaignId: parent.id,
    });
    return { ...campaignView(copy), failed_recipients: failed };
  }

  /** The campaign's recipients by status (`undelivered`: bounced, blocked, failed or suppressed), cursor-paged. */
  async recipients(accountId: string, id: string, options: { status: string; limit: number; cursor?: string }) {
    const campaign = await this.find(accountId, id);
    const statuses = options.status === 'undelivered' ? UNDELIVERED_STATUSES : [options.status];
    const rows = await this.campaigns.recipients(campaign.id, statuses, { limit: options.limit + 1, cursor: options.cursor });
    const page = rows.slice(0, options.limit);
    return { data: page.map(recipientView), next_cursor: rows.length > options.limit ? page[page.length - 1]!.id : null };
  }

  async find(accountId: string, id: string): Promise<Campaign> {
    const campaign = await this.campaigns.find(accountId, id);
    if (!campaign) throw notFound('campaign');
    return campaign;
  }

  private async move(accountId: string, id: string, action: Action, to: CampaignStatus) {
    const campaign = await this.find(accountId, id);
    this.allow(campaign, action);
    const moved = await this.campaigns.update(accountId, id, [...ACTIONS[action]], { status: to });
    if (!moved) throw notFound('campaign');
    if (!moved.changed) this.allow(moved.campaign, action, true);
    return this.get(accountId, id);
  }

  /** 409 unless the campaign's state allows `action` (`raced`: it changed meanwhile, whatever it is now). */
  private allow(campaign: Campaign, action: Action, raced = false): void {
    const from: readonly CampaignStatus[] = ACTIONS[action];
    if (!raced && from.includes(campaign.status)) return;
    const states = from.length === 1 ? `a ${from[0]} campaign` : `a ${from.slice(0, -1).join(', ')} or ${from[from.length - 1]} campaign`;
    throw new DomainError('conflict', 'invalid_state', `campaign "${campaign.name}" is ${campaign.status}; only ${states} can be ${action}`, { status: campaign.status });
  }

  private async audience(campaign: Campaign): Promise<Audience> {
    const segment = campaign.segmentId ? await this.segments.find(campaign.accountId, campaign.segmentId) : null;
    return {
      listIds: campaign.listIds,
      excludeListIds: campaign.excludeListIds,
      segment: segment ? parseSegmentFilter(segment.filter).filter : null,
      parentCampaignId: campaign.parentCampaignId,
    };
  }
}
