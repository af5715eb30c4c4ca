import { Injectable } from '@nestjs/common';
import { DomainError, notFound } from '@mailroom/common';
import { parseAddress } from '@mailroom/compose';
import { CampaignRepository, MessageRepository } from '@mailroom/db';
import { DeliveryEnqueuer } from '@mailroom/sending';
import { CampaignInputResolver } from './campaign-input';
import { CampaignMessageBuilder } from './campaign-message-builder';

export const MAX_TEST_ADDRESSES = 10;

/**
 * Test sends: the campaign as a recipient would get it (personalized with the contact of that
 * address when there is one, headers and tracking included, subject marked [Test]), to at most
 * ten addresses, as ordinary broadcast messages outside the campaign: they count in none of its
 * numbers. Suppressed addresses are recorded as such, as for any message.
 */
@Injectable()
export class CampaignTestSender {
  constructor(
    private readonly campaigns: CampaignRepository,
    private readonly messages: MessageRepository,
    private readonly input: CampaignInputResolver,
    private readonly builder: CampaignMessageBuilder,
    private readonly delivery: DeliveryEnqueuer,
  ) {}

  async send(accountId: string, campaignId: string, emails: string[]): Promise<Array<{ email: string; id: string; status: 'queued' | 'suppressed' }>> {
    if (!emails.length || emails.length > MAX_TEST_ADDRESSES) throw new DomainError('invalid', 'invalid_test_addresses', `emails: 1 to ${MAX_TEST_ADDRESSES} addresses`);
    const addresses = [...new Map(emails.map((e, i) => parseAddress(e, `emails[${i}]`)).map((a) => [a.address.toLowerCase(), a])).values()];
    const campaign = await this.campaigns.sendable(campaignId);
    if (!campaign || campaign.accountId !== accountId) throw notFound('campaign');
    const content = await this.input.content(campaign);
    const prepared = this.builder.prepare({ ...campaign, html: content.html ?? null, text: content.text ?? null });
    const contacts = new Map((await this.campaigns.contactsByEmail(accountId, addresses.map((a) => a.address.toLowerCase()))).map((c) => [c.email, c]));
    const built = await Promise.all(
      addresses.map((a) => {
        const contact = contacts.get(a.address.toLowerCase());
        const listId = campaign.listIds[0] ?? null;
        return this.builder.build(prepared, { contactId: contact?.id ?? null, email: a.address, listId, listIdHeader: null, attributes: contact?.attributes ?? {} }, { test: true });
      }),
    );
    const suppressed = await this.messages.suppressed(accountId, built.map((m) => m.recipients[0]!.email.toLowerCase()));
    for (const m of built) m.recipients[0]!.suppressed = suppressed.has(m.recipients[0]!.email.toLowerCase());
    const jobs = this.delivery.plan(built);
    await this.messages.accept(accountId, built);
    await this.delivery.enqueue(jobs);
    return built.map((m) => ({ email: m.recipients[0]!.email, id: m.id, status: m.recipients[0]!.suppressed ? 'suppressed' : 'queued' }));
  }
}
