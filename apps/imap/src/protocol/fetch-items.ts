import { ParseError, tokenText, type Token } from './command-parser';

/** What a FETCH asks for, RFC 3501 6.4.5 (plus MODSEQ, RFC 7162). */
export type FetchItem =
  | { kind: 'FLAGS' | 'UID' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY' | 'MODSEQ' }
  | BodySectionItem
  | BinaryItem;

/** BINARY[part]<partial>, BINARY.PEEK[...] and BINARY.SIZE[part] (RFC 3516): a part's content transfer encoding undone. */
export interface BinaryItem {
  kind: 'binary';
  /** `BINARY[1.2]<0>` or `BINARY.SIZE[1.2]`. */
  label: string;
  peek: boolean;
  sizeOnly: boolean;
  path: number[];
  partial: { start: number; length: number } | null;
}

const BINARY = /^BINARY(\.PEEK|\.SIZE)?\[([\d.]*)\](?:<(\d{1,10})\.(\d{1,10})>)?$/i;

function parseBinary(text: string): BinaryItem | null {
  const match = BINARY.exec(text);
  if (!match) return null;
  const [, variant = '', spec, start, length] = match;
  const path = spec ? spec.split('.').map((n) => (/^\d{1,5}$/.test(n) && Number(n) >= 1 ? Number(n) : NaN)) : [];
  if (path.some(Number.isNaN)) throw new ParseError(`bad section ${spec.slice(0, 40)}`);
  const sizeOnly = variant.toUpperCase() === '.SIZE';
  const partial = start === undefined ? null : { start: Number(start), length: Number(length) };
  if (partial && (sizeOnly || partial.length === 0)) throw new ParseError(sizeOnly ? 'BINARY.SIZE takes no partial' : 'partial length must be positive');
  const label = `${sizeOnly ? 'BINARY.SIZE' : 'BINARY'}[${path.join('.')}]${partial ? `<${partial.start}>` : ''}`;
  return { kind: 'binary', label, peek: sizeOnly || variant.toUpperCase() === '.PEEK', sizeOnly, path, partial };
}

export type SectionText = '' | 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';

export interface BodySectionItem {
  kind: 'section';
  /** What the response calls it: `BODY[1.HEADER]<0>`, `RFC822`, `RFC822.HEADER`, `RFC822.TEXT`. */
  label: string;
  /** PEEK (and RFC822.HEADER) leave \Seen alone. */
  peek: boolean;
  path: number[];
  text: SectionText;
  fields: string[];
  partial: { start: number; length: number } | null;
}

const SIMPLE = new Set(['FLAGS', 'UID', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE', 'BODY', 'MODSEQ']);
const MACROS: Record<string, string[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};
const SECTION = /^(BODY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d{1,10})\.(\d{1,10})>)?$/i;

/** The item list of a FETCH: one item, a macro, or a parenthesized list. */
export function parseFetchItems(token: Token): FetchItem[] {
  if (token.type === 'list') {
    if (!token.items.length) throw new ParseError('empty fetch item list');
    return token.items.map((item) => parseItem(tokenText(item, 'fetch item')));
  }
  const text = tokenText(token, 'fetch item');
  const macro = MACROS[text.toUpperCase()];
  if (macro) return macro.map(parseItem);
  return [parseItem(text)];
}

function parseItem(text: string): FetchItem {
  const upper = text.toUpperCase();
  if (SIMPLE.has(upper)) return { kind: upper } as FetchItem;
  if (upper === 'RFC822') return section('RFC822', false, [], '', [], null);
  if (upper === 'RFC822.HEADER') return section('RFC822.HEADER', true, [], 'HEADER', [], null);
  if (upper === 'RFC822.TEXT') return section('RFC822.TEXT', false, [], 'TEXT', [], null);
  const binary = parseBinary(text);
  if (binary) return binary;
  const match = SECTION.exec(text);
  if (!match) throw new ParseError(`unknown fetch item ${text.slice(0, 40)}`);
  const [, name, spec, start, length] = match;
  const { path, textPart, fields } = parseSection(spec);
  const partial = start === undefined ? null : { start: Number(start), length: Number(length) };
  if (partial && partial.length === 0) throw new ParseError('partial length must be positive');
  const canonical = canonicalSection(path, textPart, fields);
  const label = `BODY[${canonical}]${partial ? `<${partial.start}>` : ''}`;
  return section(label, name.toUpperCase() === 'BODY.PEEK', path, textPart, fields, partial);
}

const section = (label: string, peek: boolean, path: number[], text: SectionText, fields: string[], partial: BodySectionItem['partial']): BodySectionItem => ({
  kind: 'section',
  label,
  peek,
  path,
  text,
  fields,
  partial,
});

/** `1.2.HEADER.FIELDS (From "To")` -> path [1, 2], HEADER.FIELDS, [From, To]. */
export function parseSection(spec: string): { path: number[]; textPart: SectionText; fields: string[] } {
  const space = spec.indexOf(' ');
  const head = (space === -1 ? spec : spec.slice(0, space)).toUpperCase();
  const tail = space === -1 ? '' : spec.slice(space + 1).trim();
  const path: number[] = [];
  let rest = head;
  while (rest) {
    const match = /^(\d{1,5})(?:\.|$)/.exec(rest);
    if (!match) break;
    const n = Number(match[1]);
    if (n < 1) throw new ParseError('section part numbers start at 1');
    path.push(n);
    rest = rest.slice(match[0].length);
  }
  const textPart = rest as SectionText;
  if (!['', 'HEADER', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT', 'TEXT', 'MIME'].includes(textPart)) throw new ParseError(`bad section ${spec.slice(0, 40)}`);
  if (textPart === 'MIME' && !path.length) throw new ParseError('MIME needs a part number');
  const wantsFields = textPart === 'HEADER.FIELDS' || textPart === 'HEADER.FIELDS.NOT';
  if (wantsFields !== Boolean(tail)) throw new ParseError(wantsFields ? 'HEADER.FIELDS needs a field list' : `bad section ${spec.slice(0, 40)}`);
  const fields: string[] = [];
  if (wantsFields) {
    const list = /^\((.*)\)$/.exec(tail);
    if (!list) throw new ParseError('header field list must be parenthesized');
    for (const m of list[1].matchAll(/"((?:[^"\\]|\\.)*)"|([^\s()"]+)/g)) fields.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
    if (!fields.length || fields.some((f) => !/^[\x21-\x39\x3b-\x7e]+$/.test(f))) throw new ParseError('bad header field name');
  }
  return { path, textPart, fields };
}

function canonicalSection(path: number[], text: SectionText, fields: string[]): string {
  const parts = [...path.map(String), ...(text ? [text] : [])].join('.');
  return fields.length ? `${parts} (${fields.map((f) => f.toUpperCase()).join(' ')})` : parts;
}
