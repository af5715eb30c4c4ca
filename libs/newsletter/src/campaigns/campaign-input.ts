import { Injectable } from '@nestjs/common';
import { DomainError } from '@mailroom/common';
import { addressesShownIn, assertSingleLine, parseAddress } from '@mailroom/compose';
import { SegmentRepository, TemplateRepository, type Campaign, type NewCampaign, type Template } from '@mailroom/db';
import { SenderDomains } from '@mailroom/sending';
import { CompiledCampaign, missingUnsubscribeLink, type CampaignSource } from './campaign-content';

/** A campaign as the API takes it (POST whole, PATCH in part). */
export interface CampaignInput {
  name?: string;
  list_ids?: string[];
  exclude_list_ids?: string[];
  segment_id?: string | null;
  from?: string;
  reply_to?: string | null;
  subject?: string | null;
  preheader?: string | null;
  html?: string | null;
  text?: string | null;
  template_id?: string | null;
  tags?: string[];
  track_opens?: boolean;
  track_clicks?: boolean;
  send_at?: string | null;
  rate_per_minute?: number | null;
}

export const CAMPAIGN_LIMITS = { lists: 50, tags: 10, tagLength: 100, preheader: 500, maxScheduleDays: 365, ratePerMinute: 1_000_000 } as const;

type Fields = Omit<NewCampaign, 'id'>;

/**
 * Turns what the API was given (over what the campaign already has) into the campaign's fields,
 * checking each against the account: From on one of its verified domains, its own lists,
 * segment and template, content that compiles. What only matters when sending (an unsubscribe
 * link, an audience) is checked by `checkSendable`.
 */
@Injectable()
export class CampaignInputResolver {
  constructor(
    private readonly senderDomains: SenderDomains,
    private readonly segments: SegmentRepository,
    private readonly templates: TemplateRepository,
  ) {}

  async resolve(accountId: string, input: CampaignInput, current?: Campaign): Promise<Fields> {
    const pick = <K extends keyof CampaignInput>(key: K, existing: CampaignInput[K]): CampaignInput[K] => (input[key] !== undefined ? input[key] : existing);
    const name = pick('name', current?.name);
    if (!name) throw new DomainError('invalid', 'name_required', 'name: required');
    assertSingleLine('name', name);

    const fromText = pick('from', current?.fromAddress);
    if (!fromText) throw new DomainError('invalid', 'from_required', 'from: required (an address on one of your verified domains)');
    const from = parseAddress(fromText, 'from');
    const domain = await this.senderDomains.of(accountId, from, 'from');
    for (const shown of addressesShownIn(from.name ?? '', 'from')) await this.senderDomains.of(accountId, shown, 'from (shown in the display name)');
    const replyTo = pick('reply_to', current?.replyTo) ?? null;
    if (replyTo) parseAddress(replyTo, 'reply_to');

    const listIds = dedupe(pick('list_ids', current?.listIds) ?? []);
    const excludeListIds = dedupe(pick('exclude_list_ids', current?.excludeListIds) ?? []);
    if (listIds.length > CAMPAIGN_LIMITS.lists || excludeListIds.length > CAMPAIGN_LIMITS.lists) throw new DomainError('invalid', 'too_many_lists', `list_ids, exclude_list_ids: at most ${CAMPAIGN_LIMITS.lists} each`);
    const own = await this.segments.ownLists(accountId, [...listIds, ...excludeListIds]);
    const unknownList = [...listIds, ...excludeListIds].find((id) => !own.has(id));
    if (unknownList) throw new DomainError('invalid', 'unknown_list', `no list ${unknownList} in this account`);
    const segmentId = pick('segment_id', current?.segmentId) ?? null;
    if (segmentId && !(await this.segments.find(accountId, segmentId))) throw new DomainError('invalid', 'unknown_segment', `segment_id: no segment ${segmentId} in this account`);
    const parentCampaignId = current?.parentCampaignId ?? null;
    if (!listIds.length && !segmentId && !parentCampaignId) throw new DomainError('invalid', 'audience_required', 'list_ids or segment_id: a campaign needs lists, a segment, or both (members of the lists in the segment)');

    const templateId = pick('template_id', current?.templateId) ?? null;
    let html = pick('html', current?.html) ?? null;
    let text = pick('text', current?.text) ?? null;
    let subject = pick('subject', current?.subject) ?? null;
    // Choosing a template drops content of the campaign's own, and the other way round.
    if (input.template_id) {
      if (input.html === undefined) html = null;
      if (input.text === undefined) text = null;
    } else if (input.html || input.text) {
      if (input.template_id === undefined && templateId) throw new DomainError('invalid', 'content_conflict', 'html/text and template_id: give one or the other (template_id: null to drop the template)');
    }
    let template: Template | null = null;
    if (templateId) {
      if (html || text) throw new DomainError('invalid', 'content_conflict', 'html/text and template_id: give one or the other');
      template = await this.templates.find(accountId, templateId);
      if (!template) throw new DomainError('invalid', 'unknown_template', `template_id: no template ${templateId} in this account`);
      subject ??= template.subject;
    } else if (!html && !text) {
      throw new DomainError('invalid', 'body_required', 'html or template_id: a campaign needs content (text alone also works)');
    }
    if (!subject) throw new DomainError('invalid', 'subject_required', 'subject: required unless the template has one');
    assertSingleLine('subject', subject);
    const preheader = pick('preheader', current?.preheader) ?? null;
    if (preheader) {
      assertSingleLine('preheader', preheader);
      if (preheader.length > CAMPAIGN_LIMITS.preheader) throw new DomainError('invalid', 'invalid_preheader', `preheader: at most ${CAMPAIGN_LIMITS.preheader} characters`);
    }
    // Refused when saved, rather than when sent.
    new CompiledCampaign(contentOf({ subject, preheader, html, text }, template));

    const tags = pick('tags', current?.tags) ?? [];
    if (tags.length > CAMPAIGN_LIMITS.tags) throw new DomainError('invalid', 'too_many_tags', `tags: at most ${CAMPAIGN_LIMITS.tags}`);
    for (const tag of tags) {
      if (!tag || tag.length > CAMPAIGN_LIMITS.tagLength || /[\u0000-\u001f\u007f]/.test(tag)) throw new DomainError('invalid', 'invalid_tag', `tags: "${tag.slice(0, 20)}" must be 1-${CAMPAIGN_LIMITS.tagLength} characters on one line`);
    }
    const sendAtText = input.send_at !== undefined ? input.send_at : current?.sendAt?.toISOString();
    const sendAt = sendAtText ? new Date(sendAtText) : null;
    if (sendAt && (Number.isNaN(sendAt.getTime()) || sendAt.getTime() - Date.now() > CAMPAIGN_LIMITS.maxScheduleDays * 86_400_000)) {
      throw new DomainError('invalid', 'invalid_send_at', `send_at: an ISO 8601 date-time at most ${CAMPAIGN_LIMITS.maxScheduleDays} days ahead`);
    }
    const ratePerMinute = pick('rate_per_minute', current?.ratePerMinute) ?? null;

    return {
      domainId: domain.id,
      templateId,
      segmentId,
      listIds,
      excludeListIds,
      name,
      fromAddress: fromText,
      replyTo,
      subject,
      preheader,
      html,
      text,
      tags,
      trackOpens: pick('track_opens', current?.trackOpens) ?? true,
      trackClicks: pick('track_clicks', current?.trackClicks) ?? true,
      ratePerMinute,
      sendAt,
      parentCampaignId,
    };
  }

  /**
   * What must hold to send: the sender's domain still verified, and a visible unsubscribe link
   * in what will be sent (the template's content, for a template campaign).
   */
  async checkSendable(campaign: Campaign): Promise<void> {
    await this.senderDomains.of(campaign.accountId, parseAddress(campaign.fromAddress, 'from'), 'from');
    const content = await this.content(campaign);
    const missing = missingUnsubscribeLink(content);
    if (missing) throw new DomainError('invalid', 'unsubscribe_link_missing', `cannot send: ${missing}`);
  }

  /** The content that will be sent: the campaign's own, or its template's. */
  async content(campaign: Campaign): Promise<CampaignSource> {
    const template = campaign.templateId && !campaign.html && !campaign.text ? await this.templates.find(campaign.accountId, campaign.templateId) : null;
    return contentOf(campaign, template);
  }
}

function contentOf(campaign: CampaignSource, template: Pick<Template, 'html' | 'text'> | null): CampaignSource {
  return template ? { subject: campaign.subject, preheader: campaign.preheader, html: template.html, text: template.text } : campaign;
}

function dedupe(ids: string[]): string[] {
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}
