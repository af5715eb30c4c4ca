import { ParseError } from './command-parser';
import { parseSection, type SectionText } from './fetch-items';
import { normalizeFolderName } from './mailbox-name';

/**
 * A message or message part on this server, as a CATENATE `URL` names it (RFC 4469 3): a relative
 * IMAP URL (RFC 5092) such as `/INBOX;UIDVALIDITY=7/;UID=20/;SECTION=1.2`, resolved against
 * `imap://user@server/` (or the selected folder for `;UID=20...`). `mailbox` is null for the
 * selected folder.
 */
export interface MessageUrl {
  mailbox: string | null;
  uidValidity: number | null;
  uid: number;
  path: number[];
  text: SectionText;
  fields: string[];
  partial: { start: number; length: number } | null;
}

const NZ_NUMBER = /^[1-9]\d{0,9}$/;

/**
 * The message or part `url` names, or null for anything this server cannot fetch: another
 * scheme or server (an absolute or network-path URL: RFC 4469 leaves those to later extensions),
 * a folder or message list rather than one message, URLAUTH, malformed numbers or sections.
 */
export function parseMessageUrl(url: string): MessageUrl | null {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(url) || url.startsWith('//')) return null;
  const rest = url.startsWith('/') ? url.slice(1) : url;
  // `;` cannot appear unencoded in a mailbox name (RFC 5092 bchar), so the first one ends it.
  const semi = rest.indexOf(';');
  if (semi === -1) return null;
  let mailboxText = rest.slice(0, semi);
  const params = rest.slice(semi).split(/\/(?=;)/);
  // `INBOX/;UID=1` has no UIDVALIDITY: the slash before `;UID` stayed on the mailbox.
  const slashBeforeParams = mailboxText.endsWith('/');
  if (slashBeforeParams) mailboxText = mailboxText.slice(0, -1);
  let uidValidity: number | null = null;
  let at = 0;
  const param = (name: string): string | null => {
    const match = /^;([A-Za-z]+)=(.*)$/s.exec(params[at] ?? '');
    if (!match || match[1].toUpperCase() !== name) return null;
    at++;
    return match[2];
  };
  if (mailboxText && !slashBeforeParams) {
    const validity = param('UIDVALIDITY');
    if (validity === null || !NZ_NUMBER.test(validity) || Number(validity) > 0xffffffff) return null;
    uidValidity = Number(validity);
  }
  // `/;UID=1` alone names no mailbox: resolved against the base it has none either.
  if (!mailboxText && (url.startsWith('/') || slashBeforeParams)) return null;
  const uidText = param('UID');
  if (uidText === null || !NZ_NUMBER.test(uidText) || Number(uidText) > 0xffffffff) return null;
  const sectionText = param('SECTION');
  const partialText = param('PARTIAL');
  if (at !== params.length) return null;
  const mailbox = mailboxText ? decodePercent(mailboxText) : null;
  if (mailboxText && (!mailbox || mailbox.includes('\0'))) return null;
  let section: ReturnType<typeof parseSection> = { path: [], textPart: '', fields: [] };
  if (sectionText !== null) {
    const decoded = decodePercent(sectionText);
    if (!decoded) return null;
    try {
      section = parseSection(decoded);
    } catch (error) {
      if (error instanceof ParseError) return null;
      throw error;
    }
  }
  let partial: MessageUrl['partial'] = null;
  if (partialText !== null) {
    const match = /^(\d{1,10})(?:\.([1-9]\d{0,9}))?$/.exec(partialText);
    if (!match) return null;
    partial = { start: Number(match[1]), length: match[2] === undefined ? Number.MAX_SAFE_INTEGER : Number(match[2]) };
  }
  return {
    mailbox: mailbox === null ? null : normalizeFolderName(mailbox),
    uidValidity,
    uid: Number(uidText),
    path: section.path,
    text: section.textPart,
    fields: section.fields,
    partial,
  };
}

/** Percent-decoding as UTF-8 (RFC 5092 names mailboxes in UTF-8), or null when malformed. */
function decodePercent(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/**
 * A URL as it may stand in `[BADURL ...]` (RFC 4469 url-resp-text, with erratum 2002): TEXT-CHARs
 * but `]`; anything else, and anything past 300 characters, percent-encoded or cut.
 */
export function badUrlText(url: string): string {
  let out = '';
  for (const ch of url.slice(0, 300)) {
    const code = ch.codePointAt(0)!;
    out += code >= 0x20 && code < 0x7f && ch !== ']' ? ch : percentEncode(ch);
  }
  return out;
}

function percentEncode(ch: string): string {
  try {
    return encodeURIComponent(ch); // `]` becomes %5D too
  } catch {
    return '%EF%BF%BD'; // a lone surrogate: U+FFFD
  }
}
