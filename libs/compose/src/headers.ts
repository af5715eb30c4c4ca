import { DomainError } from '@mailroom/common';

/** Headers Mailroom writes itself; setting them through `headers` would break the message or its signature. */
const RESERVED = new Set([
  'from', 'to', 'cc', 'bcc', 'subject', 'date', 'message-id', 'mime-version', 'content-type',
  'content-transfer-encoding', 'content-disposition', 'dkim-signature', 'return-path', 'received', 'sender',
  'reply-to', 'list-unsubscribe-post', 'authentication-results', 'arc-seal', 'arc-message-signature',
  'arc-authentication-results',
]);

const NAME = /^[\x21-\x39\x3b-\x7e]{1,76}$/;

/** Every C0 control but TAB, and DEL: RFC 5322 allows none of them in a header field (CR and LF only as folding). */
const HEADER_CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * The one rule for control characters in a header value, for the API's `headers` and the
 * relay's messages alike: what is wrong, or null. NUL in particular is cut or refused by
 * receivers, so a header could read differently there than here.
 */
export function headerValueProblem(value: string): string | null {
  const match = HEADER_CONTROL.exec(value);
  if (!match) return null;
  const code = match[0].charCodeAt(0);
  const name = { 0x00: 'NUL', 0x0a: 'LF', 0x0d: 'CR', 0x7f: 'DEL' }[code] ?? `control character 0x${code.toString(16).padStart(2, '0')}`;
  return `contains a ${name}; header fields may hold no control characters but TAB`;
}

/**
 * Custom headers: printable ASCII names, values without control characters (CR and LF would
 * inject headers; the relay applies the same rule, `headerValueProblem`), not one of the headers
 * Mailroom owns nor a Resent-* field, and short enough for one folded line. Headers naming a
 * sender (From, Sender, Reply-To, Resent-From, Resent-Sender) and Bcc can only come from the
 * request's own checked fields.
 */
export function validateHeaders(headers: Record<string, string> | undefined): Array<{ key: string; value: string }> {
  if (!headers) return [];
  return Object.entries(headers).map(([key, value]) => {
    if (!NAME.test(key)) throw new DomainError('invalid', 'invalid_header', `headers: "${key}" is not a valid header name`);
    if (RESERVED.has(key.toLowerCase())) {
      throw new DomainError('invalid', 'reserved_header', `headers: ${key} is set by Mailroom; use the request's own field for it`);
    }
    // Resent-From and Resent-Sender name a sender, Resent-Bcc hidden recipients: a resending is not
    // something the API does, and these would go out unchecked.
    if (/^resent-/i.test(key)) throw new DomainError('invalid', 'reserved_header', `headers: ${key} describes a resending, which the API does not do`);
    const problem = headerValueProblem(value);
    if (problem) throw new DomainError('invalid', 'header_injection', `headers: the value of ${key} ${problem}`);
    if (value.length > 998) throw new DomainError('invalid', 'invalid_header', `headers: the value of ${key} is longer than 998 characters`);
    return { key, value };
  });
}

/** Subjects and display names come from users and template data: refuse line breaks outright. */
export function assertSingleLine(field: string, value: string): void {
  if (/[\r\n\0]/.test(value)) throw new DomainError('invalid', 'header_injection', `${field} contains CR, LF or NUL`);
}
