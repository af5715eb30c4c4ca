import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, newOrderedId } from '@mailroom/common';
import { composeMessage, parseAddress, type MailAddress } from '@mailroom/compose';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import type { Campaign, NewMessage } from '@mailroom/db';
import { BroadcastDecorator, type BroadcastRecipient } from '../broadcast/broadcast-decorator';
import { CompiledCampaign, type PersonalContent } from './campaign-content';

/** A campaign as sending needs it: its row and its domain's return-path (for the mailto unsubscribe). */
export type SendableCampaign = Campaign & { returnPathDomain: string | null };

/** Everything about a campaign that is the same for each of its messages, worked out once. */
export interface PreparedCampaign {
  campaign: SendableCampaign;
  content: CompiledCampaign;
  from: MailAddress;
  replyTo?: MailAddress;
}

/** One person a campaign message goes to. */
export interface CampaignAddressee {
  contactId: string | null;
  email: string;
  listId: string | null;
  listIdHeader: string | null;
  attributes: Record<string, unknown>;
}

/**
 * Makes one campaign message for one person: personalizes the compiled content (contact fields,
 * the recipient's own unsubscribe and web-version links), lets the BroadcastDecorator add the
 * unsubscribe headers and tracking, and composes the MIME. Ids are made first, because the links
 * carry the recipient's.
 */
@Injectable()
export class CampaignMessageBuilder {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly decorator: BroadcastDecorator,
  ) {}

  prepare(campaign: SendableCampaign): PreparedCampaign {
    return {
      campaign,
      content: new CompiledCampaign({ subject: campaign.subject, preheader: campaign.preheader, html: campaign.html, text: campaign.text }),
      from: parseAddress(campaign.fromAddress, 'from'),
      replyTo: campaign.replyTo ? parseAddress(campaign.replyTo, 'reply_to') : undefined,
    };
  }

  /**
   * The message, stored like any other (stream broadcast, source campaign). `test` makes a test
   * send: no campaign id (it counts in none of the campaign's numbers) and a marked subject.
   */
  async build(prepared: PreparedCampaign, to: CampaignAddressee, options: { test?: boolean } = {}): Promise<NewMessage> {
    const { campaign } = prepared;
    const address = parseAddress(to.email, 'email');
    const recipient: BroadcastRecipient = {
      accountId: campaign.accountId,
      messageId: newOrderedId(),
      recipientId: newOrderedId(),
      contactId: to.contactId,
      listId: to.listId,
      email: address.address,
      listIdHeader: to.listIdHeader,
      returnPathDomain: campaign.returnPathDomain,
    };
    const content = this.personalize(prepared, to, recipient);
    const html = content.html === undefined ? undefined : this.decorator.trackHtml(content.html, recipient, { trackOpens: campaign.trackOpens, trackClicks: campaign.trackClicks });
    const subject = options.test ? `[Test] ${content.subject}` : content.subject;
    const messageIdHeader = `${randomUUID()}@${this.config.MAIL_HOSTNAME}`;
    const raw = await composeMessage({
      from: prepared.from,
      to: [address],
      cc: [],
      replyTo: prepared.replyTo,
      subject,
      text: content.text,
      html,
      attachments: [],
      headers: this.decorator.headers(recipient),
      messageId: messageIdHeader,
    });
    if (raw.length > this.config.MAX_MESSAGE_SIZE) {
      throw new DomainError('too_large', 'message_too_large', `the message is ${raw.length} bytes; the limit is ${this.config.MAX_MESSAGE_SIZE}`);
    }
    return {
      id: recipient.messageId,
      domainId: campaign.domainId,
      campaignId: options.test ? null : campaign.id,
      templateId: campaign.templateId,
      stream: 'broadcast',
      source: 'campaign',
      fromAddress: prepared.from.address,
      subject,
      messageIdHeader,
      tags: options.test ? [...campaign.tags, 'test'] : campaign.tags,
      metadata: options.test ? { test_of_campaign: campaign.id } : {},
      trackOpens: campaign.trackOpens,
      trackClicks: campaign.trackClicks,
      raw,
      sendAt: null,
      requestId: null,
      recipients: [{ id: recipient.recipientId, email: address.address, domain: address.domain, kind: 'to', suppressed: false, contactId: to.contactId }],
    };
  }

  /** The content one contact sees, with their links (also the web version's, untracked). */
  personalize(prepared: PreparedCampaign, to: CampaignAddressee, recipient: BroadcastRecipient): PersonalContent {
    return prepared.content.render({
      contact: { email: to.email, attributes: to.attributes },
      unsubscribe_url: this.decorator.unsubscribeUrl(recipient),
      web_version_url: this.decorator.webVersionUrl(recipient, prepared.campaign.id),
    });
  }
}
