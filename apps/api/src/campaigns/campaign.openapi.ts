import { z } from 'zod';
import { timestamp } from '../http/openapi';

// What the campaign and segment routes answer, for their OpenAPI description (the routes'
// inputs are documented from the schemas they validate with, campaign.schema.ts).

const status = z.enum(['draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled']);
const recipientStatus = z.enum(['queued', 'sending', 'delivered', 'deferred', 'bounced', 'blocked', 'failed', 'suppressed', 'complained']);
const engagement = z.object({ unique: z.number().int(), total: z.number().int(), machine_unique: z.number().int(), machine_total: z.number().int() });

export const campaignView = z.object({
  id: z.string().uuid(),
  name: z.string(),
  status,
  list_ids: z.array(z.string().uuid()),
  exclude_list_ids: z.array(z.string().uuid()),
  segment_id: z.string().uuid().nullable(),
  parent_campaign_id: z.string().uuid().nullable(),
  from: z.string(),
  reply_to: z.string().nullable(),
  subject: z.string(),
  preheader: z.string().nullable(),
  html: z.string().nullable(),
  text: z.string().nullable(),
  template_id: z.string().uuid().nullable(),
  tags: z.array(z.string()),
  track_opens: z.boolean(),
  track_clicks: z.boolean(),
  send_at: timestamp.nullable(),
  rate_per_minute: z.number().int().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
  started_at: timestamp.nullable(),
  finished_at: timestamp.nullable(),
});

export const campaignDetail = campaignView.extend({
  progress: z.object({
    total: z.number().int().describe('the frozen audience'),
    materialized: z.number().int(),
    pending: z.number().int(),
    messages: z.number().int(),
    skipped: z.number().int(),
    skipped_by_reason: z.record(z.number().int()),
  }),
  results: z.object({
    recipients: z.number().int(),
    sent: z.number().int(),
    queued: z.number().int(),
    delivered: z.number().int(),
    deferred: z.number().int(),
    bounced: z.object({ hard: z.number().int(), soft: z.number().int(), total: z.number().int() }),
    blocked: z.number().int(),
    failed: z.number().int(),
    suppressed: z.number().int(),
    complained: z.number().int(),
    unsubscribed: z.number().int(),
    opens: engagement.describe('people (unique, total) and machines (mail privacy proxies, scanners) apart'),
    clicks: engagement,
    links: z.array(z.object({ url: z.string(), clicks: z.number().int(), unique_clicks: z.number().int(), machine_clicks: z.number().int() })),
  }),
});

export const campaignPage = z.object({ data: z.array(campaignView), next_cursor: z.string().uuid().nullable() });

export const campaignRecipientPage = z.object({
  data: z.array(
    z.object({
      id: z.string().uuid(),
      email: z.string(),
      contact_id: z.string().uuid().nullable(),
      message_id: z.string().uuid().nullable(),
      status: recipientStatus,
      bounce_type: z.enum(['hard', 'soft']).nullable(),
      attempts: z.number().int(),
      last_code: z.number().int().nullable(),
      last_enhanced_code: z.string().nullable(),
      last_response: z.string().nullable(),
      updated_at: timestamp,
    }),
  ),
  next_cursor: z.string().uuid().nullable(),
});

export const testSendAnswer = z.object({ data: z.array(z.object({ email: z.string(), id: z.string().uuid(), status: z.enum(['queued', 'suppressed']) })) });
export const resendAnswer = campaignView.extend({ failed_recipients: z.number().int() });

export const segmentView = z.object({ id: z.string().uuid(), name: z.string(), filter: z.unknown(), created_at: timestamp, updated_at: timestamp });
export const segmentPage = z.object({ data: z.array(segmentView), next_cursor: z.string().uuid().nullable() });
export const segmentCount = z.object({ id: z.string().uuid(), count: z.number().int().describe('contacts matching now'), active: z.number().int().describe('of them, active: who a campaign would reach') });
