import { DomainError, normalizeDomainName } from '@mailroom/common';
import { readMailboxList } from '@mailroom/mime';

export interface MailAddress {
  /** local@domain, the domain in lower-case A-label form; the local part exactly as given. */
  address: string;
  name?: string;
  /** Lower-case A-label domain: the delivery grouping key. */
  domain: string;
  /** The local part holds non-ASCII characters, so delivery needs SMTPUTF8 (RFC 6531). */
  international: boolean;
}

// RFC 5322 atext, plus any non-ASCII character (RFC 6532) for internationalized local parts.
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+)*$/u;
const QUOTED = /^"([\x20\x21\x23-\x5b\x5d-\x7e\u0080-\uFFFF]|\\[\x20-\x7e])*"$/u;
const CONTROL = /[\u0000-\u001f\u007f]/;

function invalid(field: string, input: string, why: string): DomainError {
  return new DomainError('invalid', 'invalid_address', `${field}: "${input}" is not a valid address (${why})`, { field });
}

/**
 * One mailbox: "user@example.com" or "Name <user@example.com>", read by libs/mime's strict
 * reading (what every common reader reads alike), then held to the rules for sending: a dot-atom
 * or quoted local part of at most 64 octets, a domain name (kept as its A-label), 254 octets in
 * all. Refuses groups, lists and controls.
 */
export function parseAddress(input: string, field: string): MailAddress {
  if (CONTROL.test(input)) throw invalid(field, input.replace(CONTROL, '?'), 'control characters such as CR or LF are not allowed');
  const reading = readMailboxList(input.trim());
  if (!reading.ok) throw invalid(field, input, reading.problem);
  if (reading.mailboxes.length !== 1) throw invalid(field, input, 'expected exactly one address');
  const { name, address } = reading.mailboxes[0]!;
  const at = address.lastIndexOf('@');
  if (at < 1) throw invalid(field, input, 'missing @');
  const local = address.slice(0, at);
  if (!DOT_ATOM.test(local) && !QUOTED.test(local)) throw invalid(field, input, 'bad local part');
  if (Buffer.byteLength(local) > 64) throw invalid(field, input, 'local part longer than 64 octets');
  let domain: string;
  try {
    domain = normalizeDomainName(address.slice(at + 1));
  } catch {
    throw invalid(field, input, 'bad domain');
  }
  const full = `${local}@${domain}`;
  if (Buffer.byteLength(full) > 254) throw invalid(field, input, 'longer than 254 octets');
  return { address: full, name: name || undefined, domain, international: /[^\x00-\x7f]/.test(local) };
}

/** A field that takes one address or a list of them (the API's `to`, the relay's RCPT TOs), each read by `parseAddress`. */
export function parseAddresses(input: string | string[] | undefined, field: string): MailAddress[] {
  if (input === undefined) return [];
  return (Array.isArray(input) ? input : [input]).map((entry, i) => parseAddress(entry, Array.isArray(input) ? `${field}[${i}]` : field));
}
