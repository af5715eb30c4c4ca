import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import { Sql } from '../sql';
import type { Campaign, CampaignStatus, Prisma } from '../generated/client';

export type { Campaign, CampaignStatus };

export interface NewCampaign {
  id: string;
  domainId: string;
  templateId: string | null;
  segmentId: string | null;
  listIds: string[];
  excludeListIds: string[];
  name: string;
  fromAddress: string;
  replyTo: string | null;
  subject: string;
  preheader: string | null;
  html: string | null;
  text: string | null;
  tags: string[];
  trackOpens: boolean;
  trackClicks: boolean;
  ratePerMinute: number | null;
  sendAt: Date | null;
  parentCampaignId: string | null;
}

export type CampaignChanges = Partial<Omit<NewCampaign, 'id' | 'parentCampaignId'>>;

/** Recipient statuses that are final: a campaign is sent when all its recipients are in one. */
export const FINAL_RECIPIENT_STATUSES = ['delivered', 'bounced', 'blocked', 'failed', 'suppressed', 'complained'] as const;
/** Undelivered for good: what GET .../recipients?status=undelivered lists. */
export const UNDELIVERED_STATUSES = ['bounced', 'blocked', 'failed', 'suppressed'] as const;

export interface CampaignRecipientRow {
  id: string;
  message_id: string;
  contact_id: string | null;
  email: string;
  status: string;
  bounce_type: string | null;
  attempts: number;
  last_code: number | null;
  last_enhanced: string | null;
  last_response: string | null;
  updated_at: Date;
}

export interface CampaignResultsRows {
  statuses: Array<{ status: string; bounce_type: string | null; n: number }>;
  engagement: Array<{ type: string; machine: boolean; events: number; recipients: number }>;
  links: Array<{ url: string; clicks: number; unique_clicks: number; machine_clicks: number }>;
}

/**
 * Campaigns as their owner edits and reads them. State changes are conditional updates (the
 * `from` states in the WHERE clause), so two requests racing cannot both move one campaign, and
 * a pause waits for the dispatcher's batch in progress (its row lock) and then holds.
 */
@Injectable()
export class CampaignRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: Sql,
  ) {}

  create(accountId: string, input: NewCampaign): Promise<Campaign> {
    return this.prisma.campaign.create({ data: { ...input, accountId } });
  }

  find(accountId: string, id: string): Promise<Campaign | null> {
    return this.prisma.campaign.findFirst({ where: { id, accountId } });
  }

  /** The operator's look-up (CLI): a campaign of any account. */
  findAnywhere(id: string): Promise<Campaign | null> {
    return this.prisma.campaign.findUnique({ where: { id } });
  }

  /** A campaign with its sending domain's return-path domain, as the dispatcher composes it. */
  async sendable(id: string): Promise<(Campaign & { returnPathDomain: string | null }) | null> {
    const found = await this.prisma.campaign.findUnique({ where: { id }, include: { domain: { select: { returnPathDomain: true } } } });
    if (!found) return null;
    const { domain, ...campaign } = found;
    return { ...campaign, returnPathDomain: domain?.returnPathDomain ?? null };
  }

  /** The account's contacts with these (lower-cased) addresses: test sends use their fields. */
  contactsByEmail(accountId: string, emails: string[]): Promise<Array<{ id: string; email: string; attributes: Record<string, unknown> }>> {
    if (!emails.length) return Promise.resolve([]);
    return this.sql.query('SELECT id, email, attributes FROM contacts WHERE account_id = $1 AND email = ANY($2::text[]) AND erased_at IS NULL', [accountId, emails]);
  }

  /** How many of a campaign's recipients failed for good (bounced, blocked, failed): what a re-send takes. */
  async undeliveredCount(campaignId: string): Promise<number> {
    const rows = await this.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM recipients WHERE campaign_id = $1 AND status IN ('bounced', 'blocked', 'failed')`, [campaignId]);
    return rows[0]!.n;
  }

  /** Newest first; the cursor is the last campaign's id. */
  list(accountId: string, options: { limit: number; cursor?: string; status?: CampaignStatus }): Promise<Campaign[]> {
    return this.prisma.campaign.findMany({
      where: { accountId, ...(options.status ? { status: options.status } : {}) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: options.limit,
      ...(options.cursor ? { cursor: { id: options.cursor }, skip: 1 } : {}),
    });
  }

  /**
   * Applies `changes` (and `status`, when given) if the campaign is in one of `from`. Returns the
   * campaign as it is afterwards with whether it changed; null when there is no such campaign.
   */
  async update(accountId: string, id: string, from: CampaignStatus[], changes: CampaignChanges & { status?: CampaignStatus; finishedAt?: Date | null }): Promise<{ changed: boolean; campaign: Campaign } | null> {
    const { count } = await this.prisma.campaign.updateMany({ where: { id, accountId, status: { in: from } }, data: changes as Prisma.CampaignUpdateManyMutationInput });
    const campaign = await this.find(accountId, id);
    return campaign ? { changed: count > 0, campaign } : null;
  }

  /** Deletes a campaign in one of `from` states; false when it is not (or not in those states). */
  async delete(accountId: string, id: string, from: CampaignStatus[]): Promise<boolean> {
    const { count } = await this.prisma.campaign.deleteMany({ where: { id, accountId, status: { in: from } } });
    return count > 0;
  }

  /**
   * Cancels a campaign in one of `from`: its recipients not yet materialized are skipped
   * ('cancelled'), in the same transaction; messages already handed to delivery go their way.
   */
  async cancel(accountId: string, id: string, from: CampaignStatus[]): Promise<boolean> {
    return this.sql.transaction(async (client) => {
      const updated = await client.query(
        `UPDATE campaigns SET status = 'cancelled', finished_at = now(), updated_at = now()
          WHERE id = $1 AND account_id = $2 AND status = ANY($3::campaign_status[])`,
        [id, accountId, from],
      );
      if (!updated.rowCount) return false;
      const skipped = await client.query(`UPDATE campaign_recipients SET status = 'skipped', reason = 'cancelled' WHERE campaign_id = $1 AND status = 'pending'`, [id]);
      if (skipped.rowCount) await client.query(addSkipsSql, [id, JSON.stringify({ cancelled: skipped.rowCount })]);
      return true;
    });
  }

  /** Live numbers: recipients by status, engagement events (people and machines apart), clicks per link. */
  async results(accountId: string, campaign: Pick<Campaign, 'id' | 'startedAt'>): Promise<CampaignResultsRows> {
    const statuses = await this.sql.query<{ status: string; bounce_type: string | null; n: number }>(
      'SELECT status, bounce_type, count(*)::int AS n FROM recipients WHERE campaign_id = $1 GROUP BY 1, 2',
      [campaign.id],
    );
    if (!campaign.startedAt) return { statuses, engagement: [], links: [] };
    // Engagement events of the account since the campaign started (the partial index), then
    // those of this campaign's recipients.
    const engagement = await this.sql.query<{ type: string; machine: boolean; events: number; recipients: number }>(
      `SELECT e.type::text AS type, (e.data->>'machine' = 'true') IS TRUE AS machine, count(*)::int AS events, count(DISTINCT e.recipient_id)::int AS recipients
         FROM message_events e JOIN recipients r ON r.id = e.recipient_id
        WHERE e.account_id = $1 AND e.type IN ('opened', 'clicked', 'unsubscribed', 'complained') AND e.created_at >= $2 AND r.campaign_id = $3
        GROUP BY 1, 2`,
      [accountId, campaign.startedAt, campaign.id],
    );
    const links = await this.sql.query<{ url: string; clicks: number; unique_clicks: number; machine_clicks: number }>(
      `SELECT COALESCE(e.data->>'url', e.detail, '') AS url,
              count(*) FILTER (WHERE e.data->>'machine' IS DISTINCT FROM 'true')::int AS clicks,
              count(DISTINCT e.recipient_id) FILTER (WHERE e.data->>'machine' IS DISTINCT FROM 'true')::int AS unique_clicks,
              count(*) FILTER (WHERE e.data->>'machine' = 'true')::int AS machine_clicks
         FROM message_events e JOIN recipients r ON r.id = e.recipient_id
        WHERE e.account_id = $1 AND e.type = 'clicked' AND e.created_at >= $2 AND r.campaign_id = $3
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 200`,
      [accountId, campaign.startedAt, campaign.id],
    );
    return { statuses, engagement, links };
  }

  /** The campaign's recipients in these statuses, by recipient id (keyset: after `cursor`). */
  recipients(campaignId: string, statuses: readonly string[], options: { limit: number; cursor?: string }): Promise<CampaignRecipientRow[]> {
    return this.sql.query<CampaignRecipientRow>(
      `SELECT id, message_id, contact_id, email, status, bounce_type, attempts, last_code, last_enhanced, last_response, updated_at
         FROM recipients
        WHERE campaign_id = $1 AND status = ANY($2::recipient_status[]) AND ($3::uuid IS NULL OR id > $3::uuid)
        ORDER BY id LIMIT $4`,
      [campaignId, statuses, options.cursor ?? null, options.limit],
    );
  }

  /**
   * What a campaign's web version needs for one contact: the contact's fields, and the recipient
   * the contact was sent (for its unsubscribe link), if any. Null when the contact is not the
   * account's.
   */
  async webVersionRecipient(accountId: string, campaignId: string, contactId: string) {
    const rows = await this.sql.query<{ email: string; attributes: Record<string, unknown>; list_id: string | null; list_id_header: string | null; message_id: string | null; recipient_id: string | null }>(
      `SELECT c.email, c.attributes, cr.list_id, l.list_id_header, cr.message_id, r.id AS recipient_id
         FROM contacts c
         LEFT JOIN campaign_recipients cr ON cr.campaign_id = $2 AND cr.contact_id = c.id
         LEFT JOIN contact_lists l ON l.id = cr.list_id
         LEFT JOIN recipients r ON r.message_id = cr.message_id
        WHERE c.id = $3 AND c.account_id = $1 AND c.erased_at IS NULL
        LIMIT 1`,
      [accountId, campaignId, contactId],
    );
    return rows[0] ?? null;
  }
}

/** Adds counts ({reason: n}) to a campaign's `skipped` counters. $1 campaign id, $2 JSON counts. */
export const addSkipsSql = `UPDATE campaigns SET skipped = skipped || (
    SELECT COALESCE(jsonb_object_agg(k, COALESCE((skipped->>k)::int, 0) + v::int), '{}'::jsonb) FROM jsonb_each_text($2::jsonb) AS e(k, v))
  WHERE id = $1`;
