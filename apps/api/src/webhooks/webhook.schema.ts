import { z } from 'zod';
import type { Webhook } from '@mailroom/db';
import { EVENT_TYPES } from '@mailroom/events';
import { timestamp } from '../http/openapi';

const eventName = z.string().max(100).describe(`an event type (${EVENT_TYPES.join(', ')}) or "*" for all`);
const secret = z.string().max(200).describe('whsec_ followed by the base64 of 24 to 64 random bytes; generated when absent');

export const createSchema = z
  .object({
    url: z.string().min(1).max(2048).describe('http(s) URL that receives POSTed events'),
    events: z.array(eventName).min(1).max(50),
    description: z.string().max(500).optional(),
    enabled: z.boolean().optional(),
    secret: secret.optional(),
  })
  .strict();

export const updateSchema = z
  .object({ url: z.string().min(1).max(2048).optional(), events: z.array(eventName).min(1).max(50).optional(), description: z.string().max(500).optional(), enabled: z.boolean().optional() })
  .strict();

export const rotateSchema = z
  .object({
    secret: secret.optional(),
    old_secret_expires_in: z.number().int().min(0).max(7 * 24 * 3600).optional().describe('seconds the old secret keeps signing beside the new one (default 86400)'),
  })
  .strict();

export const replaySchema = z
  .object({ since: z.string().datetime({ offset: true }).describe('replay failed deliveries created from then on'), until: z.string().datetime({ offset: true }).optional() })
  .strict();

export const deliveriesQuery = z
  .object({
    status: z.enum(['pending', 'succeeded', 'failed']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().uuid().optional(),
  })
  .strict();

export const webhookView = z.object({
  id: z.string().uuid(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string(),
  enabled: z.boolean(),
  disabled_at: timestamp.nullable(),
  disabled_reason: z.string().nullable(),
  failing_since: timestamp.nullable(),
  previous_secret_expires_at: timestamp.nullable().describe('while set, the previous secret signs too: two v1 signatures in webhook-signature'),
  created_at: timestamp,
  updated_at: timestamp,
});

export const createdView = webhookView.extend({ secret: z.string() });
export const listView = z.object({ data: z.array(webhookView) });
export const secretView = z.object({ secret: z.string(), previous_secret: z.string().nullable(), previous_secret_expires_at: timestamp.nullable() });
export const rotatedView = z.object({ secret: z.string(), previous_secret_expires_at: timestamp });
export const testView = z.object({ event_id: z.string().uuid(), delivery_id: z.string().uuid() });

const deliveryRow = z.object({
  id: z.string().uuid(),
  event_id: z.string().uuid(),
  event_type: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  attempts: z.number().int().describe('attempts in the current round (a replay starts a new one)'),
  next_attempt_at: timestamp.nullable(),
  last_attempt_at: timestamp.nullable(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  last_response: z.string().nullable().describe("the first 1,024 bytes of the endpoint's answer"),
  last_duration_ms: z.number().int().nullable(),
  created_at: timestamp,
  delivered_at: timestamp.nullable(),
});
export const deliveryPage = z.object({ data: z.array(deliveryRow), next_cursor: z.string().nullable() });
export const deliveryDetail = deliveryRow.extend({
  payload: z.object({ type: z.string(), timestamp: z.string(), data: z.record(z.unknown()) }),
  attempt_log: z.array(z.object({ attempt: z.number().int(), status_code: z.number().int().nullable(), error: z.string().nullable(), response: z.string().nullable(), duration_ms: z.number().int(), created_at: timestamp })),
});
export const replayedView = z.object({ replayed: z.number().int() });
export const replayOneView = z.object({ status: z.literal('pending') });

export function view(w: Webhook, now = new Date()) {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    description: w.description,
    enabled: w.enabled,
    disabled_at: w.disabledAt,
    disabled_reason: w.disabledReason,
    failing_since: w.failingSince,
    previous_secret_expires_at: w.previousSecretExpiresAt && w.previousSecretExpiresAt > now ? w.previousSecretExpiresAt : null,
    created_at: w.createdAt,
    updated_at: w.updatedAt,
  };
}
