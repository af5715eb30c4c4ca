import type { EnvelopeAddress, MimeParam } from '@mailroom/mime';
import type { Envelope } from './envelope';
import type { MimePart } from './mime-tree';

/**
 * ENVELOPE and BODYSTRUCTURE as IMAP data, before an IMAP response writer turns them into
 * bytes: strings (quoted or literal, the writer decides), numbers, NIL (null) and lists.
 */
export type ImapData = string | number | null | ImapData[] | ImapDataRun;

/** Lists written back to back with no space between them: the bodies of a multipart. */
export interface ImapDataRun {
  run: ImapData[][];
}

export const isImapDataRun = (value: unknown): value is ImapDataRun =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && 'run' in value;

/** RFC 3501 writes the addresses of a list back to back: `((...)(...))`. */
const addressList = (addresses: EnvelopeAddress[] | null): ImapData =>
  addresses ? [{ run: addresses.map((a) => [a.name, a.adl, a.mailbox, a.host]) }] : null;

export function envelopeData(envelope: Envelope): ImapData[] {
  return [
    envelope.date,
    envelope.subject,
    addressList(envelope.from),
    addressList(envelope.sender),
    addressList(envelope.replyTo),
    addressList(envelope.to),
    addressList(envelope.cc),
    addressList(envelope.bcc),
    envelope.inReplyTo,
    envelope.messageId,
  ];
}

const params = (list: readonly MimeParam[]): ImapData => (list.length ? list.flatMap(([name, value]) => [name, value]) : null);

const dispositionData = (part: MimePart): ImapData => (part.disposition ? [part.disposition.type, params(part.disposition.params)] : null);

const languageData = (part: MimePart): ImapData => {
  if (!part.language) return null;
  return part.language.length === 1 ? part.language[0] : part.language;
};

/** What a multipart with no parts reports as its one body, as Dovecot does: the grammar wants one. */
const EMPTY_TEXT: MimePart = {
  headerStart: 0,
  bodyStart: 0,
  bodyEnd: 0,
  type: 'text',
  subtype: 'plain',
  params: [],
  id: null,
  description: null,
  encoding: '7bit',
  md5: null,
  disposition: null,
  language: null,
  location: null,
  lines: 0,
};

/**
 * BODYSTRUCTURE (extended = true) or BODY (extended = false) of a part, RFC 3501 7.4.2.
 */
export function bodyStructureData(part: MimePart, extended: boolean): ImapData[] {
  if (part.type === 'multipart') {
    const children = part.parts?.length ? part.parts : [EMPTY_TEXT];
    const out: ImapData[] = [{ run: children.map((child) => bodyStructureData(child, extended)) }, part.subtype];
    if (extended) out.push(params(part.params), dispositionData(part), languageData(part), part.location);
    return out;
  }
  // A text part that names no charset is us-ascii (RFC 2045 5.2); say so, as Dovecot does.
  const typeParams = part.type === 'text' && !part.params.some(([name]) => name === 'charset') ? [...part.params, ['charset', 'us-ascii'] as MimeParam] : part.params;
  const out: ImapData[] = [part.type, part.subtype, params(typeParams), part.id, part.description, part.encoding, part.bodyEnd - part.bodyStart];
  if (part.message) {
    out.push(envelopeData(part.message.envelope), bodyStructureData(part.message.root, extended), part.lines);
  } else if (part.type === 'text') {
    out.push(part.lines);
  }
  if (extended) out.push(part.md5, dispositionData(part), languageData(part), part.location);
  return out;
}
