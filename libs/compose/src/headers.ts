import { DomainError } from '@mailroom/common';

/** Headers Mailroom writes itself; setting them through `headers` would break the message or its signature. */
const RESERVED = new Set([
  'from', 'to', 'cc', 'bcc', 'subject', 'date', 'message-id', 'mime-version', 'content-type',
  'content-transfer-encoding', 'content-disposition', 'dkim-signature', 'return-path', 'received', 'sender',
  'reply-to', 'list-unsubscribe-post', 'authentication-results', 'arc-seal', 'arc-message-signature',
  'arc-authentication-results',
]);

const NAME = /^[\x21-\x39\x3b-\x7e]{1,76}$/;

/**
 * Custom headers: printable ASCII names, values without CR or LF (header injection), not one of
 * the headers Mailroom owns, and short enough for one folded line.
 */
export function validateHeaders(headers: Record<string, string> | undefined): Array<{ key: string; value: string }> {
  if (!headers) return [];
  return Object.entries(headers).map(([key, value]) => {
    if (!NAME.test(key)) throw new DomainError('invalid', 'invalid_header', `headers: "${key}" is not a valid header name`);
    if (RESERVED.has(key.toLowerCase())) {
      throw new DomainError('invalid', 'reserved_header', `headers: ${key} is set by Mailroom; use the request's own field for it`);
    }
    if (/[\r\n\0]/.test(value)) throw new DomainError('invalid', 'header_injection', `headers: the value of ${key} contains CR, LF or NUL`);
    if (value.length > 998) throw new DomainError('invalid', 'invalid_header', `headers: the value of ${key} is longer than 998 characters`);
    return { key, value };
  });
}

/** Subjects and display names come from users and template data: refuse line breaks outright. */
export function assertSingleLine(field: string, value: string): void {
  if (/[\r\n\0]/.test(value)) throw new DomainError('invalid', 'header_injection', `${field} contains CR, LF or NUL`);
}
