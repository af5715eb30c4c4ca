import { DomainError } from '@mailroom/common';
import type { MimePart } from '@mailroom/mailstore';
import { Args, ParseError, literalBytes, tokenText, type Token } from '../protocol/command-parser';
import { badUrlText, parseMessageUrl } from '../protocol/imap-url';
import { formatSequenceSet } from '../protocol/sequence-set';
import { bodySection } from '../session/body-section';
import type { CommandSession } from '../session/command-session';
import { AUTHENTICATED, no, ok, type CommandHandler, type CommandResult } from './command';
import { parseFlagList } from './flags';
import { folderArg, missingTarget } from './folders';

/** One part of a CATENATE (RFC 4469): bytes sent with the command, or a message or part on the server. */
type CatPart = { kind: 'text'; bytes: Buffer } | { kind: 'url'; url: string };

interface AppendMessage {
  flags: string[];
  date?: Date;
  /** The message as sent, or the parts it is to be made of. */
  content: Buffer | CatPart[];
}

/**
 * Catenated messages of one command together, in multiples of the APPEND limit: they are all
 * held until every one is known to be good, and URLs let a short command name a lot of mail.
 */
const COMMAND_BYTES_FACTOR = 2;

/**
 * APPEND, MULTIAPPEND (RFC 3502) and CATENATE (RFC 4469): one or more messages, each with its own
 * flags and date, each sent as a literal or made of literals and URLs of mail already here;
 * stored together or not at all. Every message is checked (and made) before any is stored; should
 * storing one fail, those already stored are removed again before the answer (no session is told
 * of them in between but one that polls at that very moment). APPENDUID names every new UID.
 */
export const APPEND: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    const args = new Args(command.args);
    const name = folderArg(args);
    const messages: AppendMessage[] = [];
    do {
      const flags = args.peek()?.type === 'list' ? parseFlagList(args.list('flags')) : [];
      const next = args.peek();
      // A quoted string is the date when a message follows it; else it is a message not sent as a literal.
      const date = next?.type === 'string' && !next.literal && args.remaining > 1 ? parseDateTime(args.astring('date-time')) : undefined;
      const content = args.peek()?.type === 'atom' && (args.peek() as { value: string }).value.toUpperCase() === 'CATENATE' ? catParts(args) : literalBytes(args.next('message'), 'the message');
      messages.push({ flags, date, content });
    } while (args.remaining);
    for (const { content } of messages) {
      if (!Buffer.isBuffer(content)) continue;
      if (!content.length) return no('empty message', 'CANNOT');
      if (content.length > session.deps.maxAppendSize) return no('message too large', 'TOOBIG');
    }
    const folder = await session.storage.findFolder(session.user!, name);
    if (!folder) return missingTarget(name);
    const raws: Buffer[] = [];
    let commandBytes = 0;
    for (const { content } of messages) {
      const raw = Buffer.isBuffer(content) ? content : await catenate(session, content);
      if (!Buffer.isBuffer(raw)) return raw;
      commandBytes += raw.length;
      if (commandBytes > session.deps.maxAppendSize * COMMAND_BYTES_FACTOR) return no('messages of this APPEND together too large', 'TOOBIG');
      raws.push(raw);
    }
    const stored: Array<{ folderId: string; uid: number; uidValidity: number }> = [];
    try {
      for (const [i, { flags, date }] of messages.entries()) stored.push(await session.storage.append(session.user!, name, raws[i], flags, date));
    } catch (error) {
      if (stored.length) await session.storage.remove(session.user!, stored[0].folderId, stored.map((s) => s.uid));
      if (error instanceof DomainError && error.code === 'folder_not_found') return missingTarget(name);
      throw error;
    }
    const uids = stored.map((s) => s.uid);
    return ok('APPEND completed', `APPENDUID ${stored[0].uidValidity} ${uids.length === 1 ? uids[0] : formatSequenceSet(uids)}`);
  },
};

/** `CATENATE (TEXT {n} URL "/INBOX;UIDVALIDITY=1/;UID=2" ...)`: a literal8 TEXT as BINARY allows. */
function catParts(args: Args): CatPart[] {
  args.next('CATENATE');
  const items: Token[] = args.list('CATENATE parts');
  if (!items.length) throw new ParseError('CATENATE needs at least one part');
  const parts: CatPart[] = [];
  for (let i = 0; i < items.length; i += 2) {
    const kind = items[i].type === 'atom' ? (items[i] as { value: string }).value.toUpperCase() : '';
    const value = items[i + 1];
    if (!value) throw new ParseError(`CATENATE ${kind || 'part'} needs a value`);
    if (kind === 'TEXT') parts.push({ kind: 'text', bytes: literalBytes(value, 'CATENATE TEXT') });
    else if (kind === 'URL') {
      const url = tokenText(value, 'CATENATE URL');
      if (!url) throw new ParseError('CATENATE URL is empty');
      parts.push({ kind: 'url', url });
    } else throw new ParseError('CATENATE parts are TEXT or URL');
  }
  return parts;
}

/**
 * The message the parts make, or the NO to answer: [BADURL] with the first URL that names
 * nothing of this user's (another scheme or server, a folder they do not have, a UIDVALIDITY that
 * is not the folder's, a UID or part that is not there), [TOOBIG] past the APPEND limit. URL parts
 * are the bytes FETCH BODY.PEEK[section] gives, as stored (never decoded: no [UNKNOWN-CTE] can
 * arise), and reading them sets no \Seen (RFC 4469 3).
 */
async function catenate(session: CommandSession, parts: CatPart[]): Promise<Buffer | CommandResult> {
  const limit = session.deps.maxAppendSize;
  const pieces: Buffer[] = [];
  let size = 0;
  // The RFC's examples name one message several times in a row (HEADER, 1.MIME, 1): read it once.
  let last = null as { key: string; raw: Buffer; structure: MimePart } | null;
  for (const part of parts) {
    let bytes: Buffer | null;
    if (part.kind === 'text') {
      bytes = part.bytes;
    } else {
      const ref = parseMessageUrl(part.url);
      const name = ref ? (ref.mailbox ?? session.selected?.name) : undefined;
      const folder = ref && name ? await session.storage.findFolder(session.user!, name) : null;
      if (!ref || !folder || (ref.uidValidity !== null && ref.uidValidity !== folder.uidValidity)) return badUrl(part.url);
      const key = `${folder.id}/${ref.uid}`;
      if (last?.key !== key) {
        const [message] = await session.storage.messages(session.user!, folder.id, [ref.uid], { raw: true, structure: true });
        if (!message?.raw) return badUrl(part.url);
        last = { key, raw: message.raw, structure: message.bodyStructure as MimePart };
      }
      bytes = bodySection(last.raw, last.structure, { kind: 'section', label: '', peek: true, path: ref.path, text: ref.text, fields: ref.fields, partial: ref.partial });
      if (bytes === null) return badUrl(part.url);
    }
    size += bytes.length;
    if (size > limit) return no(`catenated message over the limit of ${limit} bytes`, 'TOOBIG');
    pieces.push(bytes);
  }
  if (!size) return no('empty message', 'CANNOT');
  return Buffer.concat(pieces, size);
}

const badUrl = (url: string): CommandResult => no('CATENATE: no such message or part', `BADURL ${badUrlText(url)}`);

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** RFC 3501 date-time: `" 7-Feb-1994 21:52:25 -0800"`. */
export function parseDateTime(text: string): Date {
  const match = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  const month = match ? MONTHS.indexOf(match[2].toLowerCase()) : -1;
  if (!match || month === -1) throw new ParseError(`bad date-time ${text.slice(0, 30)}`);
  const [, day, , year, hh, mm, ss, sign, zh, zm] = match;
  const offset = (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm));
  const utc = Date.UTC(Number(year), month, Number(day), Number(hh), Number(mm), Number(ss)) - offset * 60_000;
  const date = new Date(utc);
  if (Number.isNaN(date.getTime())) throw new ParseError('bad date-time');
  return date;
}
