import type { ErrorKind } from '@mailroom/common';

/** A message as a client describes it (the REST API's body), before validation and composition. */
export interface MessageDraft {
  from: string;
  to: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  reply_to?: string;
  subject?: string;
  text?: string;
  html?: string;
  template_id?: string;
  data?: Record<string, unknown>;
  headers?: Record<string, string>;
  attachments?: Array<{ filename: string; content: string; content_type?: string }>;
  tags?: string[];
  metadata?: Record<string, unknown>;
  stream?: 'transactional' | 'broadcast';
  send_at?: string;
  track_opens?: boolean;
  track_clicks?: boolean;
}

export type AcceptStatus = 'queued' | 'scheduled' | 'suppressed';

/** One draft's answer: accepted, or refused by a DomainError, of which it keeps the kind for the edge to translate. */
export type AcceptResult =
  | {
      id: string;
      status: AcceptStatus;
      message_id: string;
      /**
       * Broadcast or tracked mail to several recipients is stored as one message per recipient
       * (each copy's unsubscribe and tracking links are its own): `id` is the first copy's, and
       * this lists every copy.
       */
      messages?: Array<{ id: string; to: string; status: AcceptStatus; message_id: string }>;
    }
  | { error: { kind: ErrorKind; code: string; message: string } };

/** Limits a sender meets before anything is stored. */
export const LIMITS = {
  recipientsPerMessage: 1000,
  messagesPerBatch: 500,
  tags: 10,
  tagLength: 100,
  metadataBytes: 4096,
  /** Scheduling further ahead than this is almost always a mistake (a timestamp in ms, say). */
  maxScheduleDays: 30,
} as const;
