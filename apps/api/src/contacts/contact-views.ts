import type { ContactMembershipRow, ContactMessageRow, ContactRow, UpsertedContact } from '@mailroom/db';

export const contactView = (c: ContactRow) => ({
  id: c.id,
  email: c.email,
  attributes: c.attributes,
  status: c.status,
  consent: { at: c.consent_at, ip: c.consent_ip, user_agent: c.consent_user_agent, method: c.consent_method },
  erased_at: c.erased_at,
  created_at: c.created_at,
  updated_at: c.updated_at,
});

export const membershipView = (m: ContactMembershipRow) => ({
  list_id: m.list_id,
  list_name: m.list_name,
  status: m.status,
  subscribed_at: m.subscribed_at,
  unsubscribed_at: m.unsubscribed_at,
  confirmed_at: m.confirmed_at,
  confirm_ip: m.confirm_ip,
});

export const contactMessageView = (m: ContactMessageRow) => ({
  message_id: m.message_id,
  recipient_id: m.recipient_id,
  campaign_id: m.campaign_id,
  subject: m.subject,
  stream: m.stream,
  status: m.status,
  created_at: m.created_at,
  events: m.events,
});

/** An upsert's answer: counts, then each contact (in the order given, an address given twice once). */
export function upsertView<T extends UpsertedContact>(rows: T[], extra: (row: T) => Record<string, unknown> = () => ({})) {
  return {
    created: rows.filter((r) => r.created).length,
    updated: rows.filter((r) => !r.created).length,
    suppressed: rows.filter((r) => r.suppressed).length,
    data: rows.map((r) => ({ id: r.id, email: r.email, created: r.created, suppressed: r.suppressed, contact_status: r.status, ...extra(r) })),
  };
}
