import { ParseError, tokenText, type Token } from './command-parser';
import { mergeRanges, parseSequenceSet, type SequenceRange } from './sequence-set';

/** A SEARCH program (RFC 3501 6.4.4, MODSEQ from RFC 7162), as a tree. */
export type SearchKey =
  | { type: 'all' }
  | { type: 'and'; keys: SearchKey[] }
  | { type: 'or'; left: SearchKey; right: SearchKey }
  | { type: 'not'; key: SearchKey }
  | { type: 'flag'; flag: string; present: boolean }
  | { type: 'recent'; present: boolean }
  | { type: 'text'; field: 'subject' | 'from' | 'to' | 'cc' | 'bcc' | 'body' | 'text'; value: string }
  | { type: 'header'; name: string; value: string }
  | { type: 'date'; field: 'internal' | 'sent'; op: 'before' | 'on' | 'since'; day: number }
  | { type: 'size'; op: 'larger' | 'smaller'; value: number }
  | { type: 'uid'; ranges: SequenceRange[] }
  | { type: 'seq'; ranges: SequenceRange[] }
  | { type: 'modseq'; value: number }
  /** WITHIN (RFC 5032): INTERNALDATE at or before (OLDER) or after (YOUNGER) an instant, in ms. */
  | { type: 'within'; older: boolean; limit: number };

export interface SearchContext {
  /** Messages in the selected folder (largest sequence number). */
  messages: number;
  /** Largest UID in the selected folder's view (what `*` means in a UID set). */
  largestUid: number;
  /** UIDs of the saved search result, what `$` names (RFC 5182). */
  saved?: readonly number[];
  /** Now, in ms: what OLDER and YOUNGER count back from. */
  now?: number;
}

export class BadCharsetError extends Error {}

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
};
const TEXT_KEYS: Record<string, 'subject' | 'from' | 'to' | 'cc' | 'bcc' | 'body' | 'text'> = {
  SUBJECT: 'subject',
  FROM: 'from',
  TO: 'to',
  CC: 'cc',
  BCC: 'bcc',
  BODY: 'body',
  TEXT: 'text',
};
const DATE_KEYS: Record<string, ['internal' | 'sent', 'before' | 'on' | 'since']> = {
  BEFORE: ['internal', 'before'],
  ON: ['internal', 'on'],
  SINCE: ['internal', 'since'],
  SENTBEFORE: ['sent', 'before'],
  SENTON: ['sent', 'on'],
  SENTSINCE: ['sent', 'since'],
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MAX_KEYS = 1000;
/** Nesting of NOT, OR and parentheses. */
const MAX_DEPTH = 32;

/** Parses `[CHARSET name] key...` into one key (an AND of the top-level keys). */
export function parseSearch(tokens: Token[], context: SearchContext): SearchKey {
  let at = 0;
  if (tokens[0]?.type === 'atom' && tokens[0].value.toUpperCase() === 'CHARSET') {
    const charset = tokens[1] ? tokenText(tokens[1], 'charset').toUpperCase() : '';
    if (!charset) throw new ParseError('missing charset');
    if (charset !== 'UTF-8' && charset !== 'US-ASCII') throw new BadCharsetError(charset);
    at = 2;
  }
  const parser = new SearchParser(tokens.slice(at), context);
  const keys: SearchKey[] = [];
  while (!parser.done()) keys.push(parser.key());
  if (!keys.length) throw new ParseError('missing search criteria');
  return keys.length === 1 ? keys[0] : { type: 'and', keys };
}

class SearchParser {
  private at = 0;
  private count = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly context: SearchContext,
    private readonly depth = 0,
  ) {}

  done(): boolean {
    return this.at >= this.tokens.length;
  }

  key(depth = this.depth): SearchKey {
    if (++this.count > MAX_KEYS) throw new ParseError('search program too long');
    if (depth > MAX_DEPTH) throw new ParseError('search program nested too deeply');
    const token = this.tokens[this.at++];
    if (!token) throw new ParseError('missing search key');
    if (token.type === 'list') {
      const inner = new SearchParser(token.items, this.context, depth + 1);
      inner.count = this.count;
      const keys: SearchKey[] = [];
      while (!inner.done()) keys.push(inner.key());
      this.count = inner.count;
      if (!keys.length) throw new ParseError('empty search list');
      return keys.length === 1 ? keys[0] : { type: 'and', keys };
    }
    if (token.type !== 'atom') throw new ParseError('search key expected');
    const name = token.value.toUpperCase();
    if (FLAG_KEYS[name]) return { type: 'flag', flag: FLAG_KEYS[name][0], present: FLAG_KEYS[name][1] };
    if (TEXT_KEYS[name]) return { type: 'text', field: TEXT_KEYS[name], value: this.string(name) };
    if (DATE_KEYS[name]) return { type: 'date', field: DATE_KEYS[name][0], op: DATE_KEYS[name][1], day: parseSearchDate(this.string(name)) };
    switch (name) {
      case 'ALL':
        return { type: 'all' };
      case 'NEW':
        return { type: 'and', keys: [{ type: 'recent', present: true }, { type: 'flag', flag: '\\Seen', present: false }] };
      case 'OLD':
        return { type: 'recent', present: false };
      case 'RECENT':
        return { type: 'recent', present: true };
      case 'KEYWORD':
        return { type: 'flag', flag: this.string(name), present: true };
      case 'UNKEYWORD':
        return { type: 'flag', flag: this.string(name), present: false };
      case 'HEADER': {
        const field = this.string(name);
        return { type: 'header', name: field, value: this.string(name) };
      }
      case 'LARGER':
      case 'SMALLER':
        return { type: 'size', op: name === 'LARGER' ? 'larger' : 'smaller', value: this.number(name) };
      case 'UID':
        return { type: 'uid', ranges: parseSequenceSet(this.string(name), this.context.largestUid) };
      case 'NOT':
        return { type: 'not', key: this.key(depth + 1) };
      case 'OR': {
        const left = this.key(depth + 1);
        return { type: 'or', left, right: this.key(depth + 1) };
      }
      case 'OLDER':
      case 'YOUNGER': {
        const seconds = this.number(name);
        return { type: 'within', older: name === 'OLDER', limit: (this.context.now ?? Date.now()) - seconds * 1000 };
      }
      case '$': {
        return { type: 'uid', ranges: mergeRanges((this.context.saved ?? []).map((uid): SequenceRange => [uid, uid])) };
      }
      case 'MODSEQ': {
        // MODSEQ [entry-name entry-type] value: the metadata entry is accepted and ignored.
        if (this.tokens[this.at]?.type === 'string') this.at += 2;
        return { type: 'modseq', value: this.number(name) };
      }
      default:
        if (/^[\d:*,]+$/.test(name)) return { type: 'seq', ranges: parseSequenceSet(name, this.context.messages) };
        throw new ParseError(`unknown search key ${name.slice(0, 30)}`);
    }
  }

  private string(what: string): string {
    const token = this.tokens[this.at++];
    if (!token) throw new ParseError(`${what} needs an argument`);
    return tokenText(token, what);
  }

  private number(what: string): number {
    const value = this.string(what);
    if (!/^\d{1,19}$/.test(value)) throw new ParseError(`${what} needs a number`);
    return Number(value);
  }
}

/** `1-Feb-1994` -> midnight UTC of that day, in milliseconds. */
export function parseSearchDate(text: string): number {
  const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  const month = match ? MONTHS.indexOf(match[2].toLowerCase()) : -1;
  if (!match || month === -1) throw new ParseError(`bad date ${text.slice(0, 20)}`);
  return Date.UTC(Number(match[3]), month, Number(match[1]));
}

/** Whether the program reads anything but flags, UIDs and sequence numbers. */
export function searchNeeds(key: SearchKey): { summary: boolean; raw: boolean; structure: boolean } {
  const needs = { summary: false, raw: false, structure: false };
  const visit = (k: SearchKey) => {
    switch (k.type) {
      case 'and':
        k.keys.forEach(visit);
        break;
      case 'or':
        visit(k.left);
        visit(k.right);
        break;
      case 'not':
        visit(k.key);
        break;
      case 'text':
        if (k.field === 'subject' || k.field === 'from' || k.field === 'to') needs.summary = true;
        else needs.raw = true;
        break;
      case 'header':
        needs.raw = true;
        break;
      case 'date':
        // The Date: header's day as written comes from the ENVELOPE.
        if (k.field === 'sent') needs.structure = true;
        break;
    }
  };
  visit(key);
  if (needs.raw) needs.structure = true;
  return needs;
}
