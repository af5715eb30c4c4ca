import { tokenizeAddresses, type AddressToken as Token } from './address-tokens';

/**
 * RFC 5322 address lists read leniently (every address a reader could find, nothing refused), as
 * IMAP's ENVELOPE wants them: one entry per mailbox with the display name kept as written
 * (encoded words are not decoded: clients do that), and groups marked by a start entry (host
 * null, mailbox = group name) and an end entry (mailbox and host null). Senders are read the
 * strict way instead, by `readMailboxList`.
 */

export interface EnvelopeAddress {
  name: string | null;
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}

/** What Dovecot fills in when an address lacks a part, so the entry is never taken for a group. */
export const MISSING_MAILBOX = 'MISSING_MAILBOX';
export const MISSING_DOMAIN = 'MISSING_DOMAIN';

const phrase = (tokens: Token[]): string | null => {
  let text = '';
  let previous: Token | null = null;
  for (const token of tokens) {
    if (token.kind === 'comment' || (token.kind === 'special' && token.value !== '@')) continue;
    const glued = token.value === '@' || previous?.value === '@';
    text += previous && !glued ? ` ${token.value}` : token.value;
    previous = token;
  }
  return text.trim() || null;
};

function addrSpec(tokens: Token[]): { mailbox: string; host: string } {
  const parts = tokens.filter((t) => t.kind !== 'comment');
  const at = parts.map((t) => t.value).lastIndexOf('@');
  const local = (at === -1 ? parts : parts.slice(0, at)).map((t) => (t.kind === 'quoted' ? `"${t.value.replace(/(["\\])/g, '\\$1')}"` : t.value)).join('');
  const host = at === -1 ? '' : parts.slice(at + 1).map((t) => t.value).join('');
  return { mailbox: local || MISSING_MAILBOX, host: host || MISSING_DOMAIN };
}

function toAddress(tokens: Token[]): EnvelopeAddress | null {
  if (!tokens.some((t) => t.kind !== 'comment')) return null;
  const open = tokens.findIndex((t) => t.kind === 'special' && t.value === '<');
  if (open !== -1) {
    let close = tokens.findIndex((t, i) => i > open && t.kind === 'special' && t.value === '>');
    if (close === -1) close = tokens.length;
    let inner = tokens.slice(open + 1, close);
    // An obsolete source route (<@a,@b:user@host>) becomes the adl.
    let adl: string | null = null;
    const colon = inner.findIndex((t) => t.kind === 'special' && t.value === ':');
    if (colon !== -1 && inner[0]?.value === '@') {
      adl = inner.slice(0, colon).map((t) => t.value).join('');
      inner = inner.slice(colon + 1);
    }
    const name = phrase(tokens.slice(0, open)) ?? commentName(tokens.slice(close + 1));
    if (!inner.length) return { name, adl, mailbox: MISSING_MAILBOX, host: MISSING_DOMAIN };
    return { name, adl, ...addrSpec(inner) };
  }
  return { name: commentName(tokens), adl: null, ...addrSpec(tokens) };
}

const commentName = (tokens: Token[]): string | null => {
  const comments = tokens.filter((t) => t.kind === 'comment' && t.value);
  return comments.length ? comments[comments.length - 1].value : null;
};

/** Parses an address header value; null when it holds no address at all. */
export function parseAddressList(value: string | undefined): EnvelopeAddress[] | null {
  if (value === undefined) return null;
  const tokens = tokenizeAddresses(value);
  const out: EnvelopeAddress[] = [];
  let current: Token[] = [];
  let angle = 0;
  let inGroup = false;
  const finish = () => {
    const address = toAddress(current);
    if (address) out.push(address);
    current = [];
  };
  for (const token of tokens) {
    if (token.kind === 'special') {
      if (token.value === '<') angle++;
      else if (token.value === '>') angle = Math.max(0, angle - 1);
      else if (angle === 0 && token.value === ',') {
        finish();
        continue;
      } else if (angle === 0 && token.value === ':' && !inGroup) {
        out.push({ name: null, adl: null, mailbox: phrase(current) ?? '', host: null });
        current = [];
        inGroup = true;
        continue;
      } else if (angle === 0 && token.value === ';' && inGroup) {
        finish();
        out.push({ name: null, adl: null, mailbox: null, host: null });
        inGroup = false;
        continue;
      }
    }
    current.push(token);
  }
  finish();
  if (inGroup) out.push({ name: null, adl: null, mailbox: null, host: null });
  return out.length ? out : null;
}

/**
 * `Name <mailbox@host>` forms for listings and SEARCH FROM/TO, display names decoded; a group
 * keeps its display name in RFC 5322 group syntax (`Team: a@x, b@y;`), so SEARCH TO finds it.
 */
export function formatAddresses(addresses: readonly EnvelopeAddress[] | null, decode: (text: string) => string): string {
  if (!addresses) return '';
  const entries: string[] = [];
  let group: { name: string; members: string[] } | null = null;
  for (const a of addresses) {
    if (a.host === null) {
      // Group start (mailbox = the group's name) or end (mailbox null).
      if (a.mailbox !== null) {
        group = { name: decode(a.mailbox), members: [] };
      } else if (group) {
        entries.push(`${group.name}: ${group.members.join(', ')};`.replace(': ;', ':;'));
        group = null;
      }
      continue;
    }
    const email = `${a.mailbox}@${a.host}`;
    const entry = a.name ? `${decode(a.name)} <${email}>` : email;
    if (group) group.members.push(entry);
    else entries.push(entry);
  }
  if (group) entries.push(`${group.name}: ${group.members.join(', ')};`.replace(': ;', ':;'));
  return entries.join(', ');
}
