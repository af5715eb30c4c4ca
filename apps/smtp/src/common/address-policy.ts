import { domainToASCII } from 'node:url';
import { Replies, type SmtpReply } from './smtp-reply';

/**
 * What an inbound MX must refuse before looking anything up, so that it can never be made to
 * relay: source routes (`<@hop:user@elsewhere>`, RFC 5321 appendix C), the `%` hack and bang
 * paths (`user%elsewhere@us`, `elsewhere!user@us`), quoted local parts that hide an `@`, and
 * address literals. Mailroom hosts no address that needs any of these.
 */
export function checkRecipientCommand(commandLine: string): SmtpReply | null {
  const argument = commandLine.replace(/^\s*RCPT\s+TO\s*:\s*/i, '');
  if (/^<\s*@/.test(argument)) return Replies.sourceRoute();
  return null;
}

export interface RecipientAddress {
  /** As given. */
  local: string;
  /** Lower-case A-label form. */
  domain: string;
  /** `local@domain`, local part lower-cased: the form mailbox addresses are stored in. */
  normalized: string;
}

export function parseRecipientAddress(address: string): RecipientAddress | SmtpReply {
  const at = address.lastIndexOf('@');
  // The domainless `postmaster` of RFC 5321 4.1.1.3: no hosted domain to route it to.
  if (at <= 0) return Replies.noSuchUser();
  const local = address.slice(0, at);
  const rawDomain = address.slice(at + 1);
  if (/[%!"\\@:,;<>()[\]\s]/.test(local)) return Replies.routingCharacters();
  if (rawDomain.startsWith('[')) return Replies.relayDenied();
  const domain = domainToASCII(rawDomain.toLowerCase().replace(/\.$/, ''));
  if (!domain) return Replies.relayDenied();
  return { local, domain, normalized: `${local.toLowerCase()}@${domain}` };
}
