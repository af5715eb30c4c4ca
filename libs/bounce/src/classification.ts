/**
 * The vocabulary of delivery failures shared by the SMTP reply table, the connection-failure
 * table and the report parser. A classification says what the outbound worker does next
 * (retry, give up, give up without blaming the recipient) and why, for stats.
 */

/** What a failure means for the recipient's status (SPEC 6). */
export type DeliveryOutcome =
  | 'deferred' // temporary: retry on the schedule (or after the wait the server named)
  | 'bounced' // permanent for this recipient; `bounceType` says whether to suppress
  | 'blocked'; // the receiver refuses us (policy, reputation, authentication): never suppress

/** `hard` adds the address to the suppression list; `soft` does not (mailbox full, too large). */
export type BounceType = 'hard' | 'soft';

export const BOUNCE_CATEGORIES = [
  'mailbox_unknown', // the address does not exist
  'mailbox_disabled', // it existed once: disabled, inactive, closed
  'mailbox_full',
  'bad_domain', // the recipient's domain does not exist or takes no mail
  'dns', // routing and name-service failures, mail loops
  'message_too_large',
  'policy', // local policy, relay denied, sender or client host rejected
  'reputation', // block lists, low sender reputation
  'spam_content', // the message itself looked like spam or malware
  'dmarc', // DMARC policy rejection, unauthenticated mail
  'authentication', // SPF or DKIM failure named on its own
  'rate_limited',
  'greylisted',
  'tls_required',
  'server_error', // the receiving system's own trouble (storage, internal errors)
  'connection', // refused, timed out, reset: nothing was said
  'protocol', // syntax and sequence errors (RFC 3463 X.5.X)
  'other',
] as const;
export type BounceCategory = (typeof BOUNCE_CATEGORIES)[number];

/** The SMTP stage a reply answered; before RCPT a rejection is about us, not the recipient. */
export type SmtpPhase = 'connect' | 'ehlo' | 'mail' | 'rcpt' | 'data';

export interface SmtpReply {
  code: number;
  /** RFC 3463 enhanced status code, e.g. `5.1.1`; taken from `text` when not given. */
  enhanced?: string;
  text: string;
  phase?: SmtpPhase;
}

export interface Classification {
  outcome: DeliveryOutcome;
  /** Only for `bounced`. */
  bounceType?: BounceType;
  category: BounceCategory;
  /** Id of the table rule that matched: stable, recorded with the attempt. */
  rule: string;
  /** Only for `deferred`: the wait the server asked for, or the rule's default. */
  retryAfterSeconds?: number;
}

/** A rule's verdict; the union keeps `bounceType` present exactly when the outcome is `bounced`. */
export type Verdict =
  | { outcome: 'deferred' | 'blocked'; category: BounceCategory }
  | { outcome: 'bounced'; bounceType: BounceType; category: BounceCategory };

export const deferred = (category: BounceCategory): Verdict => ({ outcome: 'deferred', category });
export const blocked = (category: BounceCategory): Verdict => ({ outcome: 'blocked', category });
export const hard = (category: BounceCategory): Verdict => ({ outcome: 'bounced', bounceType: 'hard', category });
export const soft = (category: BounceCategory): Verdict => ({ outcome: 'bounced', bounceType: 'soft', category });
