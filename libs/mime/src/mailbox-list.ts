import addressparser from 'nodemailer/lib/addressparser';
import { tokenizeAddresses, type AddressToken } from './address-tokens';
import { decodeWords } from './encoded-words';

/** One mailbox of a list read the strict way. */
export interface StrictMailbox {
  /** local@domain as written, a quoted local part kept quoted. */
  address: string;
  /** The display name as written (encoded words left as they are); '' when there is none. */
  phrase: string;
  /** The display name decoded (RFC 2047), else the comment naming the address; '' when neither. */
  name: string;
}

export type MailboxListReading = { ok: true; mailboxes: StrictMailbox[] } | { ok: false; problem: string };

// Inside a comment these would let a comment pass for an address, or end it early for some parser.
const COMMENT_FORBIDDEN = /[@<>,;:"\\()[\]]/;
const DOT_ATOM = /^[^.\s]+(\.[^.\s]+)*$/u;

class Ambiguous extends Error {}
const refuse = (why: string): never => {
  throw new Ambiguous(why);
};

/**
 * A mailbox list (From, Sender, Reply-To, Resent-From, Resent-Sender; or one address a user
 * typed) read the strictest way, RFC 5322 section 3.4 without the obsolete syntax: what every
 * common reader reads alike. Refused, with the reason (`problem`, to follow the field name in a
 * message): two addresses in one entry (`<a@x> <b@y>`, `a@x <b@y>`), unbalanced quotes,
 * parentheses or angle brackets, comments holding address syntax, encoded words in addresses, a
 * `<`, `>` or control character in a display name (decoded or not), group syntax, address
 * literals, source routes, empty entries, and any list that nodemailer's addressparser (which
 * mailparser and many receivers use) reads as other addresses. What the addresses themselves may
 * be (domains, lengths) is the caller's rule.
 */
export function readMailboxList(value: string): MailboxListReading {
  const plain = plainMailbox(value);
  if (plain) return { ok: true, mailboxes: [plain] };
  try {
    return { ok: true, mailboxes: strictMailboxes(value) };
  } catch (error) {
    if (error instanceof Ambiguous) return { ok: false, problem: error.message };
    throw error;
  }
}

// The common shapes, which every reader reads alike by construction (no quotes, comments, encoded
// words or specials but "@", "." and the angle brackets), so the general reading and the
// cross-check are spared: `local@domain`, and `Name Words <local@domain>` of letters and digits.
const PLAIN_ADDRESS = "[A-Za-z0-9!#$%&'*+/^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/^_`{|}~-]+)*@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*";
const PLAIN = new RegExp(`^[ \\t]*(?:(${PLAIN_ADDRESS})|([A-Za-z0-9]+(?:[ \\t]+[A-Za-z0-9]+)*)[ \\t]*<(${PLAIN_ADDRESS})>)[ \\t]*$`);

function plainMailbox(value: string): StrictMailbox | null {
  const match = PLAIN.exec(value);
  if (!match) return null;
  if (match[1]) return { address: match[1], phrase: '', name: '' };
  const phrase = match[2]!.split(/[ \t]+/).join(' ');
  return { address: match[3]!, phrase, name: phrase };
}

function strictMailboxes(value: string): StrictMailbox[] {
  const tokens = tokenizeAddresses(value);
  for (const token of tokens) checkToken(token);
  if (tokens.some((t) => t.kind === 'special' && (t.value === ':' || t.value === ';'))) {
    refuse('uses group syntax or a source route (":" or ";" outside quotes); give plain addresses');
  }
  const entries: AddressToken[][] = [[]];
  for (const token of tokens) {
    if (token.kind === 'special' && token.value === ',') entries.push([]);
    else entries[entries.length - 1]!.push(token);
  }
  const mailboxes: StrictMailbox[] = [];
  // Messages quote the list as written: a rebuilt entry could hide what was wrong with it.
  const input = value.trim();
  for (const entry of entries) {
    const comments = entry.filter((t) => t.kind === 'comment');
    const words = entry.filter((t) => t.kind !== 'comment');
    if (!words.length) refuse('has an empty entry (two commas, or a comma at an end)');
    const opens = words.flatMap((t, i) => (t.kind === 'special' && t.value === '<' ? [i] : []));
    const closes = words.flatMap((t, i) => (t.kind === 'special' && t.value === '>' ? [i] : []));
    let address: string;
    let phrase = '';
    if (!opens.length && !closes.length) address = addrSpec(words, input);
    else {
      if (opens.length !== 1 || closes.length !== 1 || closes[0]! < opens[0]!) refuse(`has unbalanced or repeated angle brackets in "${input.slice(0, 80)}"`);
      if (closes[0] !== words.length - 1) refuse(`has text after the <...> address in "${input.slice(0, 80)}"`);
      phrase = displayName(words.slice(0, opens[0]));
      address = addrSpec(words.slice(opens[0]! + 1, closes[0]), input);
    }
    let name = comments.length ? comments[comments.length - 1]!.value : '';
    if (phrase) {
      name = decodeWords(phrase);
      if (/[<>]/.test(name)) refuse(`has a "<" or ">" in the display name "${name.slice(0, 60)}"`);
      if (/[\x00-\x08\x0a-\x1f\x7f]/.test(name)) refuse(`has a display name that decodes to a control character ("${name.slice(0, 60)}")`);
    }
    mailboxes.push({ address, phrase, name });
  }
  const ours = mailboxes.map((m) => m.address.toLowerCase());
  const theirs = addressparser(value, { flatten: true }).map((a) => (a.address ?? '').toLowerCase());
  if (theirs.length !== ours.length || theirs.some((a, i) => a !== ours[i])) {
    const list = (addresses: string[]) => (addresses.join(', ') || 'nothing').slice(0, 120);
    refuse(`is read as ${list(ours)} here but as ${list(theirs)} by another parser`);
  }
  return mailboxes;
}

/** What the strict reading refuses in a token of its own, whatever surrounds it. */
function checkToken(token: AddressToken): void {
  if (token.kind === 'comment') {
    if (token.unclosed) refuse('has a "(" without its ")"');
    if (COMMENT_FORBIDDEN.test(token.raw)) refuse(`has a comment holding address syntax: (${token.raw.split(')')[0]!.slice(0, 40)})`);
  } else if (token.kind === 'quoted') {
    if (token.unclosed) refuse('has a quote without its closing quote');
  } else if (token.kind === 'atom') {
    // The order in which a reader meets them: the first of these characters in the atom decides.
    for (const ch of token.value) {
      if (ch === ')') refuse('has a ")" without its "("');
      if (ch === '[' || ch === ']') refuse('has an address literal ([...]); give a domain name');
      if (ch === '\\') refuse('has a backslash outside quotes');
    }
  }
}

/** local@domain, written with no space or comment inside it, and no encoded word. */
function addrSpec(tokens: AddressToken[], input: string): string {
  const [local, at, domain] = tokens;
  const shape = tokens.length === 3 && local && at && domain && (local.kind === 'atom' || local.kind === 'quoted') && at.kind === 'special' && at.value === '@' && domain.kind === 'atom';
  if (!shape) {
    if (tokens.filter((t) => t.value === '@' && t.kind === 'special').length > 1) refuse(`holds more than one address in one entry ("${input.slice(0, 80)}")`);
    refuse(`"${input.slice(0, 80)}" is not a list of plain addresses (local@domain or Name <local@domain>; quote a name holding a comma)`);
  }
  if (at!.spaced || domain!.spaced) refuse(`has a space or comment inside the address "${input.slice(0, 80)}"`);
  if (local!.kind === 'atom' && !DOT_ATOM.test(local!.value)) refuse(`has a malformed local part in "${input.slice(0, 80)}"`);
  if (!DOT_ATOM.test(domain!.value)) refuse(`has a malformed domain in "${input.slice(0, 80)}"`);
  if (/=\?/.test(local!.value) || /=\?/.test(domain!.value)) refuse('has an encoded word inside an address (RFC 2047 section 5 forbids it)');
  const localPart = local!.kind === 'quoted' ? `"${local!.value.replace(/(["\\])/g, '\\$1')}"` : local!.value;
  return `${localPart}@${domain!.value}`;
}

function displayName(tokens: AddressToken[]): string {
  for (const token of tokens) {
    if (token.kind === 'special') {
      if (token.value === '@') refuse('has an address before its <...> address');
      if (token.value === '>') refuse('has a ">" without its "<"');
      refuse(`has a "${token.value}" in a display name; quote the name`);
    }
  }
  return tokens.map((t) => t.value).join(' ').trim();
}
