import { DomainError, type ErrorKind } from '@mailroom/common';
import { Replies, SmtpReply } from '../common/smtp-reply';

/**
 * The inbound MX's answer when storing or routing a message fails with a domain error, by kind: a
 * kind added to ErrorKind does not compile until it has a reply here. Only a fault that may pass
 * is temporary; a message that can never be stored gets a 5xx, so the sender bounces it at once
 * instead of retrying it for days.
 */
export const INBOUND_REPLY: Record<ErrorKind, (error: DomainError) => SmtpReply> = {
  invalid: (error) => new SmtpReply(554, '5.6.0', `Message rejected: ${error.message}`),
  not_found: () => Replies.noSuchUser(),
  too_large: (error) => new SmtpReply(552, '5.3.4', error.message),
  rate_limited: () => new SmtpReply(451, '4.7.1', 'Too much mail for this mailbox right now, please try again later'),
  unavailable: () => Replies.temporaryFailure(),
  // Nothing the sender did: our own state disagreed. Temporary, so nothing is lost.
  conflict: () => Replies.temporaryFailure(),
  forbidden: () => Replies.temporaryFailure(),
  unauthenticated: () => Replies.temporaryFailure(),
};

/** A domain error by its kind; anything else (a crash, PostgreSQL away) is a temporary failure. */
export function inboundReplyFor(error: unknown, fallback: () => SmtpReply = Replies.temporaryFailure): SmtpReply {
  return error instanceof DomainError ? INBOUND_REPLY[error.kind](error) : fallback();
}
