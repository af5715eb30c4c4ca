import { isImapDataRun, type ImapData } from '@mailroom/mailstore';

/**
 * Builds one server response as bytes: atoms and numbers as they are, strings quoted when they
 * are short printable ASCII and as literals otherwise (8-bit text, CR/LF, raw message bytes).
 */
export class ResponseBuilder {
  private readonly parts: Buffer[] = [];
  private text = '';

  raw(text: string): this {
    this.text += text;
    return this;
  }

  string(value: string | Buffer): this {
    if (typeof value === 'string' && isQuotable(value)) {
      this.text += `"${value.replace(/(["\\])/g, '\\$1')}"`;
      return this;
    }
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.text += `{${bytes.length}}\r\n`;
    this.flushText();
    this.parts.push(bytes);
    return this;
  }

  /** Bytes as a literal; a literal8 (`~{n}`, RFC 3516) when they hold a NUL, which `{n}` cannot carry. */
  literal8(bytes: Buffer): this {
    this.text += `${bytes.includes(0) ? '~' : ''}{${bytes.length}}\r\n`;
    this.flushText();
    this.parts.push(bytes);
    return this;
  }

  nstring(value: string | Buffer | null | undefined): this {
    return value === null || value === undefined ? this.raw('NIL') : this.string(value);
  }

  /** Strings are always quoted or literal here: ENVELOPE and BODYSTRUCTURE values are strings. */
  data(value: ImapData): this {
    if (value === null) return this.raw('NIL');
    if (typeof value === 'number') return this.raw(String(value));
    if (typeof value === 'string') return this.string(value);
    if (isImapDataRun(value)) {
      for (const item of value.run) this.data(item);
      return this;
    }
    this.raw('(');
    value.forEach((item, i) => {
      if (i) this.raw(' ');
      this.data(item);
    });
    return this.raw(')');
  }

  build(): Buffer {
    this.flushText();
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
  }

  private flushText(): void {
    if (this.text) this.parts.push(Buffer.from(this.text, 'utf8'));
    this.text = '';
  }
}

const QUOTABLE = /^[\x20-\x7e]*$/;
const isQuotable = (value: string) => value.length <= 1024 && QUOTABLE.test(value);

/** A string as IMAP text in a response line. */
export function imapString(value: string): string | null {
  return isQuotable(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : null;
}

/** An atom when possible (flags, keywords), else quoted. */
export function astring(value: string): string {
  if (/^[\x21\x23-\x24\x26-\x27\x2b-\x5b\x5e-\x7a\x7c-\x7e]+$/.test(value) && value.toUpperCase() !== 'NIL') return value;
  return new ResponseBuilder().string(value).build().toString('utf8');
}

/** RFC 3501 date-time: `"17-Jul-1996 02:44:25 +0000"`, in UTC. */
export function formatInternalDate(date: Date): string {
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][date.getUTCMonth()];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `"${pad(date.getUTCDate())}-${month}-${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000"`;
}
