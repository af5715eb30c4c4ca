import { DomainError } from '@mailroom/common';
import { headerValues, readMailboxList } from '@mailroom/mime';
import { parseAddress, type MailAddress } from './address';
import type { SubmittedHeaders } from './submitted-message';

/** A mailbox list read the strictest way, each address held to `parseAddress`'s rules. */
export interface StrictMailboxList {
  mailboxes: MailAddress[];
  /** Addresses a display name shows (`"billing@acme.example" <x@y>`): readers take them for the sender too. */
  shown: MailAddress[];
}

// local@domain in a display name, raw or decoded.
const SHOWN_ADDRESS = /[^\s<>"'(),;:@]+@[^\s<>"'(),;:@]+\.[^\s<>"'(),;:@]+/gu;

function ambiguous(header: string, why: string): DomainError {
  // The text goes into an SMTP reply: what a client wrote (or encoded) must not break its lines.
  const text = why.replace(/[\x00-\x1f\x7f]/g, '?');
  return new DomainError('invalid', 'ambiguous_address', `${header} ${text}; mail readers would disagree on who sent it, so it is refused`, { field: header });
}

/**
 * Reads a header that lists mailboxes (From, Sender, Reply-To, Resent-From, Resent-Sender) with
 * libs/mime's strict reading (`readMailboxList`), refusing what some common reader would read
 * otherwise, and holds each address to `parseAddress`'s rules. Addresses shown in a display name
 * are returned too: readers take them for the sender.
 */
export function parseMailboxHeader(value: string, header: string): StrictMailboxList {
  const reading = readMailboxList(value);
  if (!reading.ok) throw ambiguous(header, reading.problem);
  const mailboxes: MailAddress[] = [];
  const shown: MailAddress[] = [];
  for (const { address, phrase, name } of reading.mailboxes) {
    const mailbox = parseAddress(address, header);
    if (phrase) {
      shown.push(...addressesShownIn(phrase === name ? phrase : `${phrase} ${name}`, header));
      mailbox.name = name;
    }
    mailboxes.push(mailbox);
  }
  return { mailboxes, shown };
}

const shownMatches = (text: string) => [...new Set([...text.matchAll(SHOWN_ADDRESS)].map((m) => m[0]))];

/**
 * Addresses a display name shows (`"billing@bank.example" <x@y>`): readers take them for the
 * sender, so the relay and the API hold them to the sender's rules.
 */
export function addressesShownIn(name: string, header: string): MailAddress[] {
  return shownMatches(name).map((match) => {
    try {
      return parseAddress(match, header);
    } catch {
      throw ambiguous(header, `shows "${match.slice(0, 60)}" in its display name`);
    }
  });
}

/**
 * Every valid address that text shows anywhere: what some reader could take for the sender of a
 * From the strict reading refuses (`<a@ours.example> <b@theirs.example>`), so that naming another
 * tenant's domain is the refusal the API gives.
 */
export function addressesAnywhereIn(text: string, field: string): MailAddress[] {
  return shownMatches(text).flatMap((match) => {
    try {
      return [parseAddress(match, field)];
    } catch {
      return [];
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
