/**
 * The lexical tokens of RFC 5322 address syntax, the one reading under both address readers:
 * the lenient one for IMAP's ENVELOPE (`parseAddressList`) and the strict one for senders
 * (`readMailboxList`), which refuses what some reader could take otherwise.
 */
export interface AddressToken {
  kind: 'atom' | 'quoted' | 'comment' | 'special';
  /** An atom or special as written; a quoted string or comment unescaped, a comment trimmed. */
  value: string;
  /** A comment as written between its outer parentheses (the strict reader checks what it holds). */
  raw: string;
  /** White space or a comment comes before it. */
  spaced: boolean;
  /** A quoted string or comment that the text ends inside. */
  unclosed: boolean;
}

/** The specials that structure an address list; `[`, `]`, `\` and `)` stay inside atoms for the readers to judge. */
export const ADDRESS_SPECIALS = '<>@,;:';
const WHITE = ' \t\r\n';
const ATOM_END = `${WHITE}"(${ADDRESS_SPECIALS}`;

export function tokenizeAddresses(input: string): AddressToken[] {
  const tokens: AddressToken[] = [];
  let spaced = false;
  let at = 0;
  const push = (kind: AddressToken['kind'], value: string, raw = value, unclosed = false) => {
    tokens.push({ kind, value, raw, spaced, unclosed });
    spaced = kind === 'comment';
  };
  while (at < input.length) {
    const ch = input[at]!;
    if (WHITE.includes(ch)) {
      spaced = true;
      at++;
    } else if (ch === '"') {
      let value = '';
      at++;
      while (at < input.length && input[at] !== '"') {
        if (input[at] === '\\' && at + 1 < input.length) at++;
        value += input[at++];
      }
      const unclosed = at >= input.length;
      at++;
      push('quoted', value, value, unclosed);
    } else if (ch === '(') {
      // Comments nest (RFC 5322 section 3.2.2), and a backslash quotes the character after it.
      const start = at + 1;
      let depth = 0;
      let value = '';
      let end = -1;
      while (at < input.length) {
        const c = input[at++]!;
        if (c === '\\' && at < input.length) {
          value += input[at++];
          continue;
        }
        if (c === '(' && depth++ === 0) continue;
        if (c === ')' && --depth === 0) {
          end = at - 1;
          break;
        }
        value += c;
      }
      push('comment', value.trim(), input.slice(start, end === -1 ? input.length : end), end === -1);
    } else if (ADDRESS_SPECIALS.includes(ch)) {
      push('special', ch);
      at++;
    } else {
      let value = '';
      while (at < input.length && !ATOM_END.includes(input[at]!)) value += input[at++];
      push('atom', value);
    }
  }
  return tokens;
}
