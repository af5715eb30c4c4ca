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
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().uuid().optional(),
  })
  .strict();
