import { z } from 'zod';
import { CAMPAIGN_LIMITS, MAX_TEST_ADDRESSES } from '@mailroom/newsletter';

const fields = {
  name: z.string().min(1).max(200),
  list_ids: z.array(z.string().uuid()).max(CAMPAIGN_LIMITS.lists),
  exclude_list_ids: z.array(z.string().uuid()).max(CAMPAIGN_LIMITS.lists),
  segment_id: z.string().uuid().nullable(),
  from: z.string().min(3).max(1000),
  reply_to: z.string().min(3).max(1000).nullable(),
  subject: z.string().min(1).max(998),
  preheader: z.string().max(CAMPAIGN_LIMITS.preheader).nullable(),
  html: z.string().nullable(),
  text: z.string().nullable(),
  template_id: z.string().uuid().nullable(),
  tags: z.array(z.string()).max(CAMPAIGN_LIMITS.tags),
  track_opens: z.boolean(),
  track_clicks: z.boolean(),
  send_at: z.string().datetime({ offset: true }).nullable(),
  rate_per_minute: z.number().int().min(1).max(CAMPAIGN_LIMITS.ratePerMinute).nullable(),
};

export const createCampaignSchema = z.object(fields).partial().required({ name: true, from: true }).strict();
export const updateCampaignSchema = z.object(fields).partial().strict();
export const testSendSchema = z.object({ emails: z.array(z.string().min(3).max(1000)).min(1).max(MAX_TEST_ADDRESSES) }).strict();

export const listCampaignsQuery = z
  .object({
    status: z.enum(['draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled']).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().uuid().optional(),
  })
  .strict();

export const recipientsQuery = z
  .object({
    status: z.enum(['undelivered', 'queued', 'sending', 'delivered', 'deferred', 'bounced', 'blocked', 'failed', 'suppressed', 'complained']).default('undelivered'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().uuid().optional(),
  })
  .strict();
