import addressparser from 'nodemailer/lib/addressparser';
import { DomainError } from '@mailroom/common';
import { decodeWords, headerValues } from '@mailroom/mime';
import { parseAddress, type MailAddress } from './address';
import type { SubmittedHeaders } from './submitted-message';

/**
 * A mailbox list read the strictest way (RFC 5322 section 3.4 without the obsolete syntax):
 * what every common parser reads alike. The addresses are parsed as `parseAddress` does.
 */
export interface StrictMailboxList {
  mailboxes: MailAddress[];
  /** Addresses a display name shows (`"billing@acme.example" <x@y>`): readers take them for the sender too. */
  shown: MailAddress[];
}

type Token = { kind: 'atom' | 'quoted' | 'special'; text: string; spaced: boolean };

const SPECIALS = '<>@,;:[]\\';
// Inside a comment these would let a comment pass for an address, or end it early for some parser.
const COMMENT_FORBIDDEN = /[@<>,;:"\\()[\]]/;
const DOT_ATOM = /^[^.\s]+(\.[^.\s]+)*$/u;
// local@domain in a display name, raw or decoded.
const SHOWN_ADDRESS = /[^\s<>"'(),;:@]+@[^\s<>"'(),;:@]+\.[^\s<>"'(),;:@]+/gu;

function ambiguous(header: string, why: string): DomainError {
  // The text goes into an SMTP reply: what a client wrote (or encoded) must not break its lines.
  const text = why.replace(/[\x00-\x1f\x7f]/g, '?');
  return new DomainError('invalid', 'ambiguous_address', `${header} ${text}; mail readers would disagree on who sent it, so it is refused`, { field: header });
}

function tokenize(value: string, header: string): Token[] {
  const tokens: Token[] = [];
  let spaced = false;
  for (let at = 0; at < value.length; ) {
    const ch = value[at]!;
    if (ch === ' ' || ch === '\t') {
      spaced = true;
      at++;
    } else if (ch === '(') {
      const end = value.indexOf(')', at + 1);
      if (end < 0) throw ambiguous(header, 'has a "(" without its ")"');
      const comment = value.slice(at + 1, end);
      if (COMMENT_FORBIDDEN.test(comment)) throw ambiguous(header, `has a comment holding address syntax: (${comment.slice(0, 40)})`);
      spaced = true;
      at = end + 1;
    } else if (ch === ')') {
      throw ambiguous(header, 'has a ")" without its "("');
    } else if (ch === '"') {
      let text = '';
      let closed = false;
      for (at++; at < value.length; at++) {
        const c = value[at]!;
        if (c === '\\' && at + 1 < value.length) text += value[++at];
        else if (c === '"') {
          closed = true;
          at++;
          break;
        } else text += c;
      }
      if (!closed) throw ambiguous(header, 'has a quote without its closing quote');
      tokens.push({ kind: 'quoted', text, spaced });
      spaced = false;
    } else if (SPECIALS.includes(ch)) {
      if (ch === '[' || ch === ']') throw ambiguous(header, 'has an address literal ([...]); give a domain name');
      if (ch === '\\') throw ambiguous(header, 'has a backslash outside quotes');
      tokens.push({ kind: 'special', text: ch, spaced });
      spaced = false;
      at++;
    } else {
      let text = '';
      while (at < value.length && !' \t()"'.includes(value[at]!) && !SPECIALS.includes(value[at]!)) text += value[at++];
      tokens.push({ kind: 'atom', text, spaced });
      spaced = false;
    }
  }
  return tokens;
}

/** local@domain, written with no space or comment inside it, and no encoded word. */
function addrSpec(tokens: Token[], header: string, input: string): string {
  const [local, at, domain] = tokens;
  const shape = tokens.length === 3 && local && at && domain && (local.kind === 'atom' || local.kind === 'quoted') && at.kind === 'special' && at.text === '@' && domain.kind === 'atom';
  if (!shape) {
    if (tokens.filter((t) => t.text === '@' && t.kind === 'special').length > 1) throw ambiguous(header, `holds more than one address in one entry ("${input.slice(0, 80)}")`);
    throw ambiguous(header, `"${input.slice(0, 80)}" is not a list of plain addresses (local@domain or Name <local@domain>; quote a name holding a comma)`);
  }
  if (at.spaced || domain.spaced) throw ambiguous(header, `has a space or comment inside the address "${input.slice(0, 80)}"`);
  if (local.kind === 'atom' && !DOT_ATOM.test(local.text)) throw ambiguous(header, `has a malformed local part in "${input.slice(0, 80)}"`);
  if (!DOT_ATOM.test(domain.text)) throw ambiguous(header, `has a malformed domain in "${input.slice(0, 80)}"`);
  if (/=\?/.test(local.text) || /=\?/.test(domain.text)) throw ambiguous(header, 'has an encoded word inside an address (RFC 2047 section 5 forbids it)');
  const localPart = local.kind === 'quoted' ? `"${local.text.replace(/(["\\])/g, '\\$1')}"` : local.text;
  return `${localPart}@${domain.text}`;
}

function displayName(tokens: Token[], header: string): string {
  for (const token of tokens) {
    if (token.kind === 'special') {
      if (token.text === '@') throw ambiguous(header, 'has an address before its <...> address');
      if (token.text === '>') throw ambiguous(header, 'has a ">" without its "<"');
      throw ambiguous(header, `has a "${token.text}" in a display name; quote the name`);
    }
  }
  return tokens.map((t) => t.text).join(' ');
}

/**
 * Parses a header that lists mailboxes (From, Sender, Reply-To, Resent-From, Resent-Sender) the
 * strictest way, and refuses what some common parser would read otherwise: two addresses in
 * one entry (`<a@x> <b@y>`, `a@x <b@y>`), unbalanced quotes, parentheses or angle brackets,
 * comments holding address syntax, encoded words in addresses, a `<` or `>` in a display name,
 * group syntax, address literals and source routes. The result must also be what nodemailer's
 * addressparser (mailparser's reader) finds, address for address.
 */
export function parseMailboxHeader(value: string, header: string): StrictMailboxList {
  const tokens = tokenize(value, header);
  if (tokens.some((t) => t.kind === 'special' && (t.text === ':' || t.text === ';'))) {
    throw ambiguous(header, 'uses group syntax or a source route (":" or ";" outside quotes); give plain addresses');
  }
  const entries: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === 'special' && token.text === ',') entries.push([]);
    else entries[entries.length - 1]!.push(token);
  }
  const mailboxes: MailAddress[] = [];
  const shown: MailAddress[] = [];
  const written: string[] = [];
  // Messages quote the header as written: a rebuilt entry could hide what was wrong with it.
  const input = value.trim();
  for (const entry of entries) {
    if (!entry.length) throw ambiguous(header, 'has an empty entry (two commas, or a comma at an end)');
    const opens = entry.flatMap((t, i) => (t.kind === 'special' && t.text === '<' ? [i] : []));
    const closes = entry.flatMap((t, i) => (t.kind === 'special' && t.text === '>' ? [i] : []));
    let address: string;
    let name = '';
    if (!opens.length && !closes.length) address = addrSpec(entry, header, input);
    else {
      if (opens.length !== 1 || closes.length !== 1 || closes[0]! < opens[0]!) throw ambiguous(header, `has unbalanced or repeated angle brackets in "${input.slice(0, 80)}"`);
      if (closes[0] !== entry.length - 1) throw ambiguous(header, `has text after the <...> address in "${input.slice(0, 80)}"`);
      name = displayName(entry.slice(0, opens[0]), header);
      address = addrSpec(entry.slice(opens[0]! + 1, closes[0]), header, input);
    }
    written.push(address.toLowerCase());
    const mailbox = parseAddress(address, header);
    if (name) {
      const decoded = decodeWords(name);
      if (/[<>]/.test(decoded)) throw ambiguous(header, `has a "<" or ">" in the display name "${decoded.slice(0, 60)}"`);
      if (/[\x00-\x08\x0a-\x1f\x7f]/.test(decoded)) throw ambiguous(header, `has a display name that decodes to a control character ("${decoded.slice(0, 60)}")`);
      shown.push(...addressesShownIn(name === decoded ? name : `${name} ${decoded}`, header));
      mailbox.name = decoded;
    }
    mailboxes.push(mailbox);
  }
  const theirs = addressparser(value, { flatten: true }).map((a) => (a.address ?? '').toLowerCase());
  if (theirs.length !== written.length || theirs.some((a, i) => a !== written[i])) {
    const list = (addresses: string[]) => (addresses.join(', ') || 'nothing').slice(0, 120);
    throw ambiguous(header, `is read as ${list(written)} here but as ${list(theirs)} by another parser`);
  }
  return { mailboxes, shown };
}

/**
 * Addresses a display name shows (`"billing@bank.example" <x@y>`): readers take them for the
 * sender, so the relay and the API hold them to the sender's rules.
 */
export function addressesShownIn(name: string, header: string): MailAddress[] {
  return [...new Set([...name.matchAll(SHOWN_ADDRESS)].map((m) => m[0]))].map((match) => {
    try {
      return parseAddress(match, header);
    } catch {
      throw ambiguous(header, `shows "${match.slice(0, 60)}" in its display name`);
    }
  });
}

/** The senders a submitted message names, each with the header that names it. */
export interface SubmittedSenders {
  /** From:, in order: the first one's domain signs the message. */
  authors: MailAddress[];
  /** Every address that must be on the account's verified domains, with where it was found. */
  owned: Array<{ field: string; address: MailAddress }>;
}

/**
 * Reads From, Sender, Resent-From, Resent-Sender and Reply-To the strictest way
 * (`parseMailboxHeader`) and applies RFC 5322 section 3.6's counts: one From (more than one
 * mailbox in it only with a Sender), at most one Sender with one mailbox, at most one Reply-To,
 * one mailbox per Resent-Sender. Every address naming a sender, including one shown in a display
 * name, is returned for the domain check; Reply-To may point anywhere but must parse the same
 * for every reader.
 */
export function submittedSenders(headers: SubmittedHeaders): SubmittedSenders {
  const from = headerValues(headers.fields, 'from');
  if (from.length === 0) throw new DomainError('invalid', 'from_header_required', 'the message needs a From: header');
  if (from.length > 1) throw new DomainError('invalid', 'duplicate_header', `the message has ${from.length} From: headers; RFC 5322 allows exactly one`);
  if (!from[0]!.trim()) throw new DomainError('invalid', 'from_header_required', 'the From: header holds no address');
  const authors = parseMailboxHeader(from[0]!, 'From:');
  const owned: SubmittedSenders['owned'] = [];
  const own = (field: string, list: StrictMailboxList) => {
    for (const address of list.mailboxes) owned.push({ field, address });
    for (const address of list.shown) owned.push({ field: `${field} (shown in a display name)`, address });
  };
  own('From:', authors);

  const sender = headerValues(headers.fields, 'sender');
  if (sender.length > 1) throw new DomainError('invalid', 'duplicate_header', `the message has ${sender.length} Sender: headers; RFC 5322 allows at most one`);
  if (sender.length) own('Sender:', single(parseMailboxHeader(sender[0]!, 'Sender:'), 'Sender:'));
  if (authors.mailboxes.length > 1 && !sender.length) {
    throw new DomainError('invalid', 'sender_required', `From: holds ${authors.mailboxes.length} addresses; RFC 5322 requires a Sender: naming the one who sent it`);
  }
  for (const value of headerValues(headers.fields, 'resent-from')) own('Resent-From:', parseMailboxHeader(value, 'Resent-From:'));
  for (const value of headerValues(headers.fields, 'resent-sender')) own('Resent-Sender:', single(parseMailboxHeader(value, 'Resent-Sender:'), 'Resent-Sender:'));

  const replyTo = headerValues(headers.fields, 'reply-to');
  if (replyTo.length > 1) throw new DomainError('invalid', 'duplicate_header', `the message has ${replyTo.length} Reply-To: headers; RFC 5322 allows at most one`);
  if (replyTo.length) parseMailboxHeader(replyTo[0]!, 'Reply-To:');
  return { authors: authors.mailboxes, owned };
}

function single(list: StrictMailboxList, header: string): StrictMailboxList {
  if (list.mailboxes.length !== 1) throw new DomainError('invalid', 'ambiguous_address', `${header} must hold exactly one address; it holds ${list.mailboxes.length}`);
  return list;
}
