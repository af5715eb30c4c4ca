/**
 * The events Mailroom reports, by dot-separated type. An endpoint subscribes to some of them (or
 * "*"). Most are written by triggers on the tables whose change they report (migration
 * 20261130240000_events_webhooks_stats), in that change's transaction; the rest by EventWriter.
 */
export const MESSAGE_EVENT_TYPES = [
  'message.delivered',
  'message.deferred',
  'message.bounced',
  'message.blocked',
  'message.failed',
  'message.suppressed',
  'message.complained',
  'message.opened',
  'message.clicked',
] as const;

export const EVENT_TYPES = [
  ...MESSAGE_EVENT_TYPES,
  'contact.subscribed',
  'contact.unsubscribed',
  'inbound.received',
  'campaign.started',
  'campaign.finished',
  'domain.verified',
  'domain.verification_failed',
  /** An account notice, always kept in the event log: an endpoint was disabled. */
  'webhook.disabled',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** What a test send carries; it goes to the one endpoint tested, whatever it subscribes to. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** Payloads stay under this many bytes of JSON (the largest fields are truncated where written). */
export const MAX_PAYLOAD_BYTES = 20 * 1024;

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/** The body POSTed for every event (Standard Webhooks' shape). */
export interface EventPayload<D = Record<string, unknown>> {
  type: EventType | typeof TEST_EVENT_TYPE;
  /** RFC 3339, UTC, milliseconds: when the change was committed. */
  timestamp: string;
  data: D;
}

/** `data` of message.* events (built by the message_events trigger). */
export interface MessageEventData {
  message_id: string;
  recipient_id: string | null;
  recipient: string | null;
  from: string;
  subject: string;
  message_id_header: string;
  stream: 'transactional' | 'broadcast';
  campaign_id: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  /** Delivery outcomes: the attempt, and the remote server's reply when there was one. */
  attempt?: number;
  reply?: { code: number | null; enhanced: string | null; message: string | null; mx: string | null } | null;
  /** bounced/blocked/failed/suppressed/complained: why, in words. */
  reason?: string | null;
  bounce_type?: 'hard' | 'soft';
  next_attempt_at?: string;
  /** opened/clicked. */
  machine?: boolean;
  user_agent?: string | null;
  ip?: string | null;
  url?: string | null;
}

/** `data` of contact.subscribed / contact.unsubscribed (list_id null: every list of the account). */
export interface ContactEventData {
  contact_id: string;
  email: string;
  list_id: string | null;
  list_name: string | null;
  status: string;
  attributes: Record<string, unknown> | null;
}

/** `data` of inbound.received: where the mail was filed, enough to fetch it over IMAP. */
export interface InboundReceivedData {
  mailbox_id: string;
  folder: string;
  uid: number;
  uid_validity: number;
  /** The envelope recipient and sender (MAIL FROM, '' for bounces). */
  recipient: string;
  envelope_from: string;
  from: string;
  to: string;
  subject: string;
  message_id_header: string | null;
  in_reply_to: string | null;
  size: number;
}

/** `data` of webhook.disabled. */
export interface WebhookDisabledData {
  webhook_id: string;
  url: string;
  reason: string;
  failing_since: string | null;
}
