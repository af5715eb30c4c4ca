/**
 * Content-Type and Content-Disposition values: `value *(";" name "=" value)`, with comments,
 * quoted strings and RFC 2231 continuations (`name*0*=...; name*1*=...`). Continuations are
 * joined into one parameter and an extended value keeps its `charset'lang'%XX` form under the
 * name `name*`, as Dovecot reports them in BODYSTRUCTURE; clients decode that form themselves.
 */

export type MimeParam = [name: string, value: string];

export interface StructuredValue {
  /** The main value, lower-cased (`text/plain`, `attachment`). */
  value: string;
  params: MimeParam[];
}

interface RawParam {
  name: string;
  value: string;
}

export function parseStructuredValue(input: string): StructuredValue {
  const parser = new ValueParser(input);
  const value = parser.mainValue().joined.toLowerCase();
  return { value, params: parser.params() };
}

export interface ContentType {
  /** Lower-cased, e.g. `text`. */
  type: string;
  /** Lower-cased, e.g. `plain`. */
  subtype: string;
  params: MimeParam[];
}

// RFC 2045 section 5.1: any printable ASCII character but SPACE and tspecials.
const TOKEN = "[!#$%&'*+\\-.0-9A-Z^_`a-z{|}~]+";
const TYPE_SLASH_SUBTYPE = new RegExp(`^[ \\t]*(${TOKEN})[ \\t]*/[ \\t]*(${TOKEN})[ \\t]*$`);

/**
 * A Content-Type value: `type "/" subtype`, each an RFC 2045 token (comments and white space may
 * stand around them, not inside them; a quoted type is not a token), then its parameters as
 * `parseStructuredValue` reads them. Null when the value is not that: a reader then takes the
 * default type, as RFC 2045 section 5.2 says for a missing or invalid Content-Type.
 */
export function parseContentType(input: string): ContentType | null {
  const parser = new ValueParser(input);
  const match = TYPE_SLASH_SUBTYPE.exec(parser.mainValue().written);
  if (!match) return null;
  return { type: match[1]!.toLowerCase(), subtype: match[2]!.toLowerCase(), params: parser.params() };
}

/** Parameters as a record for readers that want values, not BODYSTRUCTURE: each decoded by `paramValue`. */
export function paramRecord(params: readonly MimeParam[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [key] of params) {
    const name = key.endsWith('*') ? key.slice(0, -1) : key;
    if (!Object.hasOwn(record, name)) record[name] = paramValue(params, name)!;
  }
  return record;
}

class ValueParser {
  private at = 0;
  constructor(private readonly text: string) {}

  /**
   * The value before the first `;`: `joined` without comments, quotes and white space (how
   * Content-Disposition is read), `written` with each comment turned into a space and each
   * quoted string left quoted (for readers that check its grammar).
   */
  mainValue(): { joined: string; written: string } {
    this.skipCfws();
    let joined = '';
    let written = '';
    while (this.at < this.text.length) {
      const ch = this.text[this.at];
      if (ch === ';') break;
      if (ch === '(') {
        this.skipComment();
        written += ' ';
        continue;
      }
      if (ch === '"') {
        const quoted = this.quoted();
        joined += quoted;
        written += `"${quoted}"`;
        continue;
      }
      if (ch !== ' ' && ch !== '\t') joined += ch;
      written += ch;
      this.at++;
    }
    return { joined, written };
  }

  /** Every parameter after the main value, RFC 2231 continuations joined. */
  params(): MimeParam[] {
    const raw: RawParam[] = [];
    while (this.skipTo(';')) {
      const param = this.param();
      if (param) raw.push(param);
    }
    return mergeContinuations(raw);
  }

  /** Moves past the next `ch` outside quotes and comments; false at the end of the text. */
  skipTo(ch: string): boolean {
    while (this.at < this.text.length) {
      const c = this.text[this.at];
      if (c === ch) {
        this.at++;
        return true;
      }
      if (c === '"') this.quoted();
      else if (c === '(') this.skipComment();
      else this.at++;
    }
    return false;
  }

  param(): RawParam | null {
    this.skipCfws();
    let name = '';
    while (this.at < this.text.length && !'=;'.includes(this.text[this.at])) name += this.text[this.at++];
    name = name.trim().toLowerCase();
    if (this.text[this.at] !== '=' || !name || /[\s"]/.test(name)) return null;
    this.at++;
    this.skipCfws();
    let value: string;
    if (this.text[this.at] === '"') {
      value = this.quoted();
    } else {
      // Lenient like most servers: an unquoted value runs to the next ';', so `name=my file.pdf`
      // from careless mailers keeps its spaces; a trailing comment is dropped.
      let out = '';
      while (this.at < this.text.length && this.text[this.at] !== ';') {
        if (this.text[this.at] === '(') this.skipComment();
        else out += this.text[this.at++];
      }
      value = out.trim();
    }
    return { name, value };
  }

  private quoted(): string {
    let out = '';
    this.at++;
    while (this.at < this.text.length) {
      const ch = this.text[this.at++];
      if (ch === '"') break;
      if (ch === '\\' && this.at < this.text.length) out += this.text[this.at++];
      else out += ch;
    }
    return out;
  }

  private skipComment(): void {
    let depth = 0;
    while (this.at < this.text.length) {
      const ch = this.text[this.at++];
      if (ch === '\\') this.at++;
      else if (ch === '(') depth++;
      else if (ch === ')' && --depth === 0) return;
    }
  }

  private skipCfws(): void {
    while (this.at < this.text.length) {
      const ch = this.text[this.at];
      if (ch === ' ' || ch === '\t') this.at++;
      else if (ch === '(') this.skipComment();
      else return;
    }
  }
}

const CONTINUATION = /^(.+?)\*(\d+)(\*?)$/;

function mergeContinuations(raw: RawParam[]): MimeParam[] {
  const out: MimeParam[] = [];
  const groups = new Map<string, { index: number; extended: boolean; value: string }[]>();
  const order: Array<{ kind: 'plain'; param: RawParam } | { kind: 'group'; base: string }> = [];
  for (const param of raw) {
    const match = CONTINUATION.exec(param.name);
    if (!match) {
      order.push({ kind: 'plain', param });
      continue;
    }
    const base = match[1];
    let group = groups.get(base);
    if (!group) {
      group = [];
      groups.set(base, group);
      order.push({ kind: 'group', base });
    }
    group.push({ index: Number(match[2]), extended: match[3] === '*', value: param.value });
  }
  const seen = new Set<string>();
  for (const entry of order) {
    if (entry.kind === 'plain') {
      if (seen.has(entry.param.name)) continue;
      seen.add(entry.param.name);
      out.push([entry.param.name, entry.param.value]);
      continue;
    }
    const segments = groups.get(entry.base)!.sort((a, b) => a.index - b.index);
    const extended = segments.some((s) => s.extended);
    const name = extended ? `${entry.base}*` : entry.base;
    if (seen.has(name)) continue;
    seen.add(name);
    let value = '';
    segments.forEach((segment, i) => {
      if (!extended || segment.extended) value += segment.value;
      else value += (i === 0 ? "''" : '') + percentEncode(segment.value);
    });
    out.push([name, value]);
  }
  return out;
}

function percentEncode(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'))
    .map((byte) => (byte > 0x20 && byte < 0x7f && !`*'%()<>@,;:\\"/[]?=`.includes(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

/** A parameter for display: a `name*` value decoded from its RFC 2231 form, any other as written. */
export function paramValue(params: readonly MimeParam[], name: string): string | undefined {
  const extended = params.find(([key]) => key === `${name}*`);
  if (extended) {
    const match = /^([^']*)'[^']*'(.*)$/s.exec(extended[1]);
    if (match) {
      const bytes = Buffer.from(match[2].replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
      try {
        return new TextDecoder(match[1] || 'utf-8').decode(bytes);
      } catch {
        return bytes.toString('utf8');
      }
    }
    return extended[1];
  }
  return params.find(([key]) => key === name)?.[1];
}
