import type { CommandFrame } from './command-reader';

/**
 * The generic IMAP syntax of a command: tag, name and arguments as atoms, strings (quoted or
 * literal) and parenthesized lists. Atoms are read loosely (flags `\Seen`, sets `1:*`, patterns
 * `%`) and a bracketed section such as `BODY[HEADER.FIELDS (From To)]<0.10>` stays one atom;
 * each command then checks the arguments it expects. Anywhere else `[` is an atom character
 * like any other (RFC 3501: only `]` is a resp-special), so `CREATE br[x` names `br[x`.
 */
export type Token =
  | { type: 'atom'; value: string }
  | { type: 'string'; value: string; literal?: Buffer; binary?: boolean }
  | { type: 'list'; items: Token[] };

export interface ParsedCommand {
  tag: string;
  /** Upper-cased command name. */
  name: string;
  args: Token[];
}

/** Malformed input: answered with BAD. */
export class ParseError extends Error {}

/** Tags: ASTRING-CHARs except `+` (RFC 3501 9), kept short. */
const TAG = /^[\x21\x23-\x27\x2a\x2c-\x5b\x5d-\x7a\x7c-\x7e]{1,64}$/;
const MAX_DEPTH = 16;
/** Fetch attributes whose `[section]` may hold spaces and lists (RFC 3501, RFC 3516). */
const SECTION_NAME = /^(BODY|BODY\.PEEK|BINARY|BINARY\.PEEK|BINARY\.SIZE)$/i;

export function parseCommand(frame: CommandFrame): ParsedCommand {
  const tokens = new Tokenizer(frame).all();
  const [tag, name, ...args] = tokens;
  if (!tag || tag.type !== 'atom' || !TAG.test(tag.value)) throw new ParseError('invalid tag');
  if (!name || name.type !== 'atom' || !/^[A-Za-z]+$/.test(name.value)) throw new ParseError('missing command');
  return { tag: tag.value, name: name.value.toUpperCase(), args };
}

/** The tag of a line that could not be parsed, when it has a usable one. */
export function tagOf(frame: CommandFrame): string | null {
  const match = /^(\S+)/.exec(frame.segments[0] ?? '');
  return match && TAG.test(match[1]) ? match[1] : null;
}

class Tokenizer {
  private segment = 0;
  private at = 0;

  constructor(private readonly frame: CommandFrame) {}

  all(): Token[] {
    const tokens = this.sequence(0);
    if (this.segment < this.frame.segments.length) throw new ParseError('unexpected ")"');
    return tokens;
  }

  /** Tokens up to the end of input (depth 0) or the closing parenthesis of a list. */
  private sequence(depth: number): Token[] {
    if (depth > MAX_DEPTH) throw new ParseError('lists nested too deeply');
    const tokens: Token[] = [];
    for (;;) {
      const text = this.frame.segments[this.segment];
      if (text === undefined) {
        if (depth > 0) throw new ParseError('missing ")"');
        return tokens;
      }
      if (this.at >= text.length) {
        // End of a segment: the literal that followed it, or the end of the command.
        const literal = this.frame.literals[this.segment];
        // A literal8 (`~{n}`, RFC 3516): the `~` was read as an atom of its own just before.
        const binary = Boolean(literal) && text.endsWith('~') && tokens[tokens.length - 1]?.type === 'atom' && (tokens[tokens.length - 1] as { value: string }).value === '~';
        if (literal && text.endsWith('~') && !binary) throw new ParseError('bad literal8');
        if (binary) tokens.pop();
        this.segment++;
        this.at = 0;
        if (literal) tokens.push(binary ? { type: 'string', value: '', literal, binary: true } : { type: 'string', value: '', literal });
        continue;
      }
      const ch = text[this.at];
      if (ch === ' ') {
        this.at++;
      } else if (ch === '(') {
        this.at++;
        tokens.push({ type: 'list', items: this.sequence(depth + 1) });
      } else if (ch === ')') {
        if (depth === 0) throw new ParseError('unexpected ")"');
        this.at++;
        return tokens;
      } else if (ch === '"') {
        tokens.push({ type: 'string', value: this.quoted(text) });
      } else {
        tokens.push({ type: 'atom', value: this.atom(text) });
      }
    }
  }

  private quoted(text: string): string {
    let value = '';
    let i = this.at + 1;
    for (; i < text.length; i++) {
      const ch = text[i];
      if (ch === '\\') {
        const next = text[i + 1];
        if (next !== '\\' && next !== '"') throw new ParseError('bad escape in quoted string');
        value += next;
        i++;
      } else if (ch === '"') {
        this.at = i + 1;
        return value;
      } else {
        value += ch;
      }
    }
    throw new ParseError('unterminated quoted string');
  }

  private atom(text: string): string {
    const start = this.at;
    let i = start;
    while (i < text.length) {
      const ch = text[i];
      if (ch === ' ' || ch === '(' || ch === ')' || ch === '"') break;
      const code = ch.charCodeAt(0);
      if (code < 0x20 || code === 0x7f) throw new ParseError('control character in atom');
      if (ch === '[' && SECTION_NAME.test(text.slice(start, i))) {
        i = this.section(text, i);
        continue;
      }
      i++;
    }
    this.at = i;
    return text.slice(start, i);
  }

  /** Skips a bracketed section (which may hold spaces, lists and quoted names) to its `]`. */
  private section(text: string, open: number): number {
    let depth = 0;
    let quoted = false;
    for (let i = open; i < text.length; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === '\\') i++;
        else if (ch === '"') quoted = false;
      } else if (ch === '"') quoted = true;
      else if (ch === '[') depth++;
      else if (ch === ']' && --depth === 0) return i + 1;
    }
    throw new ParseError('missing "]"');
  }
}

/** Reads the arguments of one command in order, with the checks each kind of value needs. */
export class Args {
  private at = 0;

  constructor(private readonly tokens: Token[]) {}

  get remaining(): number {
    return this.tokens.length - this.at;
  }

  peek(): Token | undefined {
    return this.tokens[this.at];
  }

  next(what: string): Token {
    const token = this.tokens[this.at++];
    if (!token) throw new ParseError(`missing ${what}`);
    return token;
  }

  atom(what: string): string {
    const token = this.next(what);
    if (token.type !== 'atom') throw new ParseError(`${what} must be an atom`);
    return token.value;
  }

  /** An atom or a string (RFC 3501 astring). */
  astring(what: string): string {
    return tokenText(this.next(what), what);
  }

  /** A string or NIL. */
  nstring(what: string): string | null {
    const token = this.next(what);
    if (token.type === 'atom' && token.value.toUpperCase() === 'NIL') return null;
    return tokenText(token, what);
  }

  list(what: string): Token[] {
    const token = this.next(what);
    if (token.type !== 'list') throw new ParseError(`${what} must be a parenthesized list`);
    return token.items;
  }

  /** A list when one comes next, else undefined. */
  optionalList(): Token[] | undefined {
    const token = this.peek();
    if (token?.type !== 'list') return undefined;
    this.at++;
    return token.items;
  }

  number(what: string): number {
    const value = this.atom(what);
    if (!/^\d{1,19}$/.test(value)) throw new ParseError(`${what} must be a number`);
    return Number(value);
  }

  end(): void {
    if (this.at < this.tokens.length) throw new ParseError('unexpected extra arguments');
  }

  rest(): Token[] {
    const rest = this.tokens.slice(this.at);
    this.at = this.tokens.length;
    return rest;
  }
}

/**
 * The text of an atom or string. RFC 3501 allows NUL in neither quoted strings nor literals
 * (CHAR8 is %x01-ff; only BINARY's literal8 may carry one, and it is not offered), and no
 * name, password or search key could hold one: refused as BAD before it reaches the store.
 */
export function tokenText(token: Token, what: string): string {
  if (token.type === 'list') throw new ParseError(`${what} must be a string`);
  if (token.type === 'string' && token.binary) throw new ParseError(`${what} cannot be a literal8 (~{n}): only APPEND's message and CATENATE's TEXT can (RFC 3516)`);
  if (token.type === 'string' && token.literal) {
    if (token.literal.includes(0)) throw new ParseError(`${what} contains a NUL, which an IMAP literal cannot carry`);
    return token.literal.toString('utf8');
  }
  if (token.value.includes('\0')) throw new ParseError(`${what} contains a NUL, which an IMAP string cannot carry`);
  return token.value;
}

/**
 * APPEND's message: a literal (`{n}` or `{n+}`), never an atom or a quoted string (RFC 3501
 * `append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal`). Its bytes are kept as
 * sent, NULs included, as the inbound MX keeps them.
 */
export function literalBytes(token: Token, what: string): Buffer {
  if (token.type === 'string' && token.literal) return token.literal;
  throw new ParseError(`${what} must be a literal ({size} followed by the bytes)`);
}
