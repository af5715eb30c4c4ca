import { z } from 'zod';
import { LIMITS } from '@mailroom/sending';

const addresses = z.union([z.string().min(3).max(1000), z.array(z.string().min(3).max(1000)).max(LIMITS.recipientsPerMessage)]);

export const messageSchema = z
  .object({
    from: z.string().min(3).max(1000),
    to: addresses,
    cc: addresses.optional(),
    bcc: addresses.optional(),
    reply_to: z.string().min(3).max(1000).optional(),
    subject: z.string().max(998).optional(),
    text: z.string().optional(),
    html: z.string().optional(),
    template_id: z.string().uuid().optional(),
    data: z.record(z.unknown()).optional(),
    headers: z.record(z.string()).optional(),
    attachments: z
      .array(z.object({ filename: z.string().min(1).max(255), content: z.string(), content_type: z.string().max(255).optional() }).strict())
      .max(100)
      .optional(),
    tags: z.array(z.string()).optional(),
    metadata: z.record(z.unknown()).optional(),
    stream: z.enum(['transactional', 'broadcast']).optional(),
    send_at: z.string().datetime({ offset: true }).optional(),
    track_opens: z.boolean().optional(),
    track_clicks: z.boolean().optional(),
  })
  .strict();

export const batchSchema = z.array(z.unknown()).min(1).max(LIMITS.messagesPerBatch);

export const listQuery = z
  .object({
    status: z.enum(['queued', 'sending', 'delivered', 'deferred', 'bounced', 'blocked', 'failed', 'suppressed', 'complained']).optional(),
    recipient: z.string().max(320).optional(),
    tag: z.string().max(100).optional(),
    stream: z.enum(['transactional', 'broadcast']).optional(),
    from: z.string().datetime({ offset: true }).optional().describe('accepted at or after this instant (ISO 8601)'),
    to: z.string().datetime({ offset: true }).optional().describe('accepted before this instant (ISO 8601)'),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().uuid().optional(),
  })
  .strict();

// ---------------------------------------------------------------- answers (documentation)

const recipientStatus = z.enum(['queued', 'sending', 'delivered', 'deferred', 'bounced', 'blocked', 'failed', 'suppressed', 'complained']);
const at = z.string().datetime();

export const acceptedView = z.object({ id: z.string().uuid(), status: z.enum(['queued', 'scheduled', 'suppressed']), message_id: z.string().describe('the Message-ID header, without angle brackets') });
export const batchAnswer = z.array(z.union([acceptedView, z.object({ error: z.object({ code: z.string(), message: z.string() }) })]));

export const messageSummary = z.object({
  id: z.string().uuid(),
  stream: z.enum(['transactional', 'broadcast']),
  from_address: z.string(),
  subject: z.string(),
  tags: z.array(z.string()),
  created_at: at,
  send_at: at.nullable(),
  message_id_header: z.string(),
  recipients: z.array(z.object({ email: z.string(), status: recipientStatus })),
});
export const messagePage = z.object({ data: z.array(messageSummary), next_cursor: z.string().uuid().nullable().describe('pass back as cursor for the next page') });

export const messageDetail = z.object({
  id: z.string().uuid(),
  status: z.string().describe('the least finished state of its recipients, or partially_delivered'),
  stream: z.enum(['transactional', 'broadcast']),
  from: z.string(),
  subject: z.string(),
  message_id: z.string(),
  tags: z.array(z.string()),
  metadata: z.record(z.unknown()),
  size: z.number().int(),
  send_at: at.nullable(),
  created_at: at,
  recipients: z.array(
    z.object({
      email: z.string(),
      kind: z.enum(['to', 'cc', 'bcc']),
      status: recipientStatus,
      bounce_type: z.enum(['hard', 'soft']).nullable(),
      attempts: z.number().int(),
      last_response: z.string().nullable().describe('the remote server\'s last reply'),
      last_code: z.number().int().nullable(),
      last_enhanced_code: z.string().nullable(),
      mx_host: z.string().nullable(),
      next_attempt_at: at.nullable(),
      delivered_at: at.nullable(),
    }),
  ),
  events: z.array(z.object({ type: z.string(), recipient: z.string().nullable(), detail: z.string().nullable(), data: z.record(z.unknown()).nullable(), at })),
});
