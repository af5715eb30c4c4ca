import { z } from 'zod';
import { timestamp } from '../http/openapi';

// What the contact, list and import routes answer, for their OpenAPI description (their inputs
// are documented from the schemas they validate with).

const contactStatus = z.enum(['active', 'unsubscribed', 'bounced', 'complained']);
const membershipStatus = z.enum(['unconfirmed', 'subscribed', 'unsubscribed']);

export const contactView = z.object({
  id: z.string().uuid(),
  email: z.string(),
  attributes: z.record(z.unknown()),
  status: contactStatus,
  consent: z.object({ at: timestamp.nullable(), ip: z.string().nullable(), user_agent: z.string().nullable(), method: z.enum(['api', 'import', 'form', 'confirmation']).nullable() }),
  erased_at: timestamp.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
});
export const contactPage = z.object({ data: z.array(contactView), next_cursor: z.string().nullable() });
export const contactDetail = contactView.extend({
  memberships: z.array(
    z.object({
      list_id: z.string().uuid(),
      list_name: z.string(),
      status: membershipStatus,
      subscribed_at: timestamp,
      unsubscribed_at: timestamp.nullable(),
      confirmed_at: timestamp.nullable(),
      confirm_ip: z.string().nullable(),
    }),
  ),
  messages: z.array(
    z.object({
      message_id: z.string().uuid(),
      recipient_id: z.string().uuid(),
      campaign_id: z.string().uuid().nullable(),
      subject: z.string(),
      stream: z.enum(['transactional', 'broadcast']),
      status: z.string(),
      created_at: timestamp,
      events: z.array(z.object({ type: z.string(), at: z.string(), detail: z.string().nullable() })),
    }),
  ),
});
const upserted = z.object({ id: z.string().uuid(), email: z.string(), created: z.boolean(), suppressed: z.boolean(), contact_status: contactStatus });
export const upsertAnswer = z.object({ created: z.number().int(), updated: z.number().int(), suppressed: z.number().int(), data: z.array(upserted) });
export const listMembersAnswer = upsertAnswer.extend({
  data: z.array(upserted.extend({ status: membershipStatus, confirmation: z.string().optional().describe('double opt-in: whether the confirmation mail was sent') })),
});

export const listView = z.object({
  id: z.string().uuid(),
  name: z.string(),
  description: z.string(),
  opt_in: z.enum(['single', 'double']),
  list_id_header: z.string(),
  form_enabled: z.boolean(),
  form_url: z.string().nullable(),
  confirm_from: z.string().nullable(),
  confirm_subject: z.string().nullable(),
  confirm_html: z.string().nullable(),
  confirm_text: z.string().nullable(),
  counts: z.object({ subscribed: z.number().int(), unconfirmed: z.number().int(), unsubscribed: z.number().int() }).optional(),
  created_at: timestamp,
  updated_at: timestamp,
});

export const importView = z.object({
  id: z.string().uuid(),
  list_id: z.string().uuid().nullable(),
  status: z.enum(['running', 'done', 'failed']),
  filename: z.string().nullable(),
  rows_read: z.number().int(),
  added: z.number().int(),
  updated: z.number().int(),
  rejected: z.number().int(),
  error: z.string().nullable(),
  created_at: timestamp,
  finished_at: timestamp.nullable(),
  rejects: z.array(z.object({ line: z.number().int(), email: z.string().nullable(), reason: z.string() })).optional().describe('the first rejected rows; all are in rejects.csv'),
});
export const importPage = z.object({ data: z.array(importView), next_cursor: z.string().nullable() });
