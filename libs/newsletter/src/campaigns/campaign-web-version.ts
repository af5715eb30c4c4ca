import { Injectable } from '@nestjs/common';
import { CampaignRepository } from '@mailroom/db';
import { CampaignInputResolver } from './campaign-input';
import { CampaignMessageBuilder } from './campaign-message-builder';

/** A campaign's web version for one contact (or for nobody in particular). */
export interface WebVersion {
  subject: string;
  html: string;
}

/**
 * The web version ({{web_version_url}}, served by the public /w/:token endpoint): the campaign's
 * HTML as this contact's copy shows it, their unsubscribe link included, without the tracking
 * rewrites of the mail; a text-only campaign as preformatted text. Null when there is no such
 * campaign, or no such contact, in the account.
 */
@Injectable()
export class CampaignWebVersion {
  constructor(
    private readonly campaigns: CampaignRepository,
    private readonly input: CampaignInputResolver,
    private readonly builder: CampaignMessageBuilder,
  ) {}

  async render(accountId: string, campaignId: string, contactId: string | null): Promise<WebVersion | null> {
    const campaign = await this.campaigns.sendable(campaignId);
    if (!campaign || campaign.accountId !== accountId) return null;
    const content = await this.input.content(campaign);
    const prepared = this.builder.prepare({ ...campaign, html: content.html ?? null, text: content.text ?? null });
    const found = contactId ? await this.campaigns.webVersionRecipient(accountId, campaignId, contactId) : null;
    if (contactId && !found) return null;
    const to = { contactId, email: found?.email ?? '', listId: found?.list_id ?? null, listIdHeader: found?.list_id_header ?? null, attributes: found?.attributes ?? {} };
    const rendered = this.builder.personalize(prepared, to, {
      accountId,
      messageId: found?.message_id ?? '',
      recipientId: found?.recipient_id ?? '',
      contactId,
      listId: to.listId,
      email: to.email,
      listIdHeader: to.listIdHeader,
      returnPathDomain: campaign.returnPathDomain,
    });
    const html = rendered.html ?? `<!doctype html><meta charset="utf-8"><title>${escapeHtml(rendered.subject)}</title><pre style="white-space:pre-wrap;font-family:inherit">${escapeHtml(rendered.text ?? '')}</pre>`;
    return { subject: rendered.subject, html };
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
