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
  const value = parser.mainValue().toLowerCase();
  const raw: RawParam[] = [];
  while (parser.skipTo(';')) {
    const param = parser.param();
    if (param) raw.push(param);
  }
  return { value, params: mergeContinuations(raw) };
}

class ValueParser {
  private at = 0;
  constructor(private readonly text: string) {}

  mainValue(): string {
    this.skipCfws();
    let out = '';
    while (this.at < this.text.length) {
      const ch = this.text[this.at];
      if (ch === ';') break;
      if (ch === '(') {
        this.skipComment();
        continue;
      }
      if (ch === '"') {
        out += this.quoted();
        continue;
      }
      if (ch !== ' ' && ch !== '\t') out += ch;
      this.at++;
    }
    return out;
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

/** Decodes a parameter for display: `name*` values from RFC 2231 form, others from RFC 2047 words. */
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
