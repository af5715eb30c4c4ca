import type { DomainError, ErrorKind } from '@mailroom/common';
import { Replies as Common, SmtpReply } from '../common/smtp-reply';

export const Replies = {
  authThrottled: () => new SmtpReply(454, '4.7.0', 'Too many failed authentication attempts; try again later'),
  authFailed: () => new SmtpReply(535, '5.7.8', 'Authentication credentials invalid'),
  authRequired: () => new SmtpReply(530, '5.7.0', 'Authentication required'),
  senderNotAllowed: (message: string) => new SmtpReply(553, '5.7.1', `Sender address rejected: ${message}`),
  fromNotAllowed: (message: string) => new SmtpReply(550, '5.7.1', `From: header rejected: ${message}`),
  /** A header naming a sender (From, Sender, Resent-From, ...): the message says which and why. */
  headerNotAllowed: (message: string) => new SmtpReply(550, '5.7.1', `Header rejected: ${message}`),
  controlCharacter: (message: string) => new SmtpReply(554, '5.6.0', `Message rejected: ${message}`),
  invalid: (message: string) => new SmtpReply(550, '5.6.0', message),
  sendLimit: (message: string) => new SmtpReply(451, '4.7.1', message),
  ...Common,
};

/** A refused sender: at MAIL FROM (the envelope) or in a header naming a sender. */
const senderRefused = (error: DomainError): SmtpReply =>
  error.details?.field === 'MAIL FROM' ? Replies.senderNotAllowed(error.message) : Replies.headerNotAllowed(error.message);

/** Codes of kind 'invalid' whose reply says more than "550 5.6.0 <message>". */
const INVALID: Partial<Record<string, (error: DomainError) => SmtpReply>> = {
  unknown_sender_domain: senderRefused,
  domain_not_verified: senderRefused,
  from_header_required: (error) => Replies.fromNotAllowed(error.message),
  header_control_character: (error) => Replies.controlCharacter(error.message),
};

/**
 * The relay's answer to a refused submission, by kind: a kind added to ErrorKind does not compile
 * until it has a reply here. Temporary kinds are 4xx, so the client keeps the message and retries.
 */
export const REPLY: Record<ErrorKind, (error: DomainError) => SmtpReply> = {
  invalid: (error) => (INVALID[error.code] ?? ((e) => Replies.invalid(e.message)))(error),
  unauthenticated: () => Replies.authRequired(),
  forbidden: (error) => new SmtpReply(550, '5.7.1', error.message),
  not_found: (error) => Replies.invalid(error.message),
  conflict: (error) => Replies.invalid(error.message),
  too_large: (error) => new SmtpReply(552, '5.3.4', error.message),
  rate_limited: (error) => Replies.sendLimit(error.message),
  unavailable: (error) => new SmtpReply(451, '4.3.0', error.message),
};

export const replyFor = (error: DomainError): SmtpReply => REPLY[error.kind](error);
