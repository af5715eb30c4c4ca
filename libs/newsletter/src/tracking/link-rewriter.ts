/**
 * Finding and rewriting the links of an HTML body without parsing it into a tree: one pass over
 * the text that knows what a tag, an attribute, a comment and a raw-text element (script, style,
 * textarea, title, xmp) are, per the HTML tokenizer's rules, and touches nothing but the href
 * values it rewrites. Every other byte of the HTML stays as it was, and a 50 kB newsletter is
 * scanned in well under a millisecond (a DOM parse of each recipient's copy would cost far more).
 */

export interface FoundLink {
  /** The href value as written (between the quotes, if any). */
  start: number;
  end: number;
  quoted: boolean;
  /** The URL a browser would follow: the value with character references decoded and spaces trimmed. */
  url: string;
}

const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext']);
const SPACE = /[\t\n\f\r ]/;

/** The href attributes of <a> and <area> tags, in document order. */
export function findLinks(html: string): FoundLink[] {
  const links: FoundLink[] = [];
  let i = 0;
  const n = html.length;
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) break;
    if (html.startsWith('<!--', lt)) {
      const close = html.indexOf('-->', lt + 4);
      i = close < 0 ? n : close + 3;
      continue;
    }
    const next = html[lt + 1] ?? '';
    if (next === '!' || next === '?' || next === '/') {
      // Doctype, CDATA, processing instruction, end tag: nothing to rewrite up to the next '>'.
      const close = html.indexOf('>', lt + 2);
      i = close < 0 ? n : close + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(next)) {
      i = lt + 1;
      continue;
    }
    let j = lt + 1;
    while (j < n && !SPACE.test(html[j]!) && html[j] !== '/' && html[j] !== '>') j++;
    const name = html.slice(lt + 1, j).toLowerCase();
    const tag = parseAttributes(html, j);
    if ((name === 'a' || name === 'area') && !tag.attributes.has('data-no-track')) {
      const href = tag.attributes.get('href');
      if (href) links.push({ ...href, url: decodeReferences(html.slice(href.start, href.end)).trim() });
    }
    i = tag.end;
    if (RAW_TEXT.has(name) && !tag.selfClosing) {
      // Up to the matching end tag, whatever it holds ("<a href" inside a script is not a link).
      const close = html.toLowerCase().indexOf(`</${name}`, i);
      i = close < 0 ? n : close;
    }
  }
  return links;
}

function parseAttributes(html: string, from: number): { end: number; selfClosing: boolean; attributes: Map<string, { start: number; end: number; quoted: boolean }> } {
  const attributes = new Map<string, { start: number; end: number; quoted: boolean }>();
  const n = html.length;
  let i = from;
  let selfClosing = false;
  while (i < n) {
    const c = html[i]!;
    if (c === '>') return { end: i + 1, selfClosing, attributes };
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    if (c === '/') {
      selfClosing = html[i + 1] === '>';
      i++;
      continue;
    }
    // An attribute name runs to a space, '/', '>' or '=' (a leading '=' belongs to the name).
    const nameStart = i;
    i++;
    while (i < n && !SPACE.test(html[i]!) && html[i] !== '/' && html[i] !== '>' && html[i] !== '=') i++;
    const name = html.slice(nameStart, i).toLowerCase();
    let k = i;
    while (k < n && SPACE.test(html[k]!)) k++;
    if (html[k] !== '=') {
      if (!attributes.has(name)) attributes.set(name, { start: i, end: i, quoted: false });
      continue;
    }
    k++;
    while (k < n && SPACE.test(html[k]!)) k++;
    let value: { start: number; end: number; quoted: boolean };
    const quote = html[k];
    if (quote === '"' || quote === "'") {
      const close = html.indexOf(quote, k + 1);
      value = { start: k + 1, end: close < 0 ? n : close, quoted: true };
      i = close < 0 ? n : close + 1;
    } else {
      let e = k;
      while (e < n && !SPACE.test(html[e]!) && html[e] !== '>') e++;
      value = { start: k, end: e, quoted: false };
      i = e;
    }
    // The first of two attributes with one name is the one that counts.
    if (!attributes.has(name)) attributes.set(name, value);
  }
  return { end: n, selfClosing, attributes };
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', tab: '\t', newline: '\n' };

/** Character references in an attribute value: numeric ones and the few named ones URLs meet. */
export function decodeReferences(value: string): string {
  if (!value.includes('&')) return value;
  // Numeric references; named ones with ';'; and the legacy four without ';' unless a letter,
  // digit or '=' follows (in attributes that is text: "?a=1&amp=2" keeps "&amp=").
  return value.replace(/&(?:(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7});?|([A-Za-z][A-Za-z0-9]{1,7});|(amp|lt|gt|quot)(?![=A-Za-z0-9]))/g, (whole, numeric?: string, named?: string, legacy?: string) => {
    if (numeric) {
      const code = numeric[1] === 'x' || numeric[1] === 'X' ? parseInt(numeric.slice(2), 16) : parseInt(numeric.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
    }
    return NAMED[(named ?? legacy)!] ?? whole;
  });
}

/** Text safe inside a double-quoted attribute value. */
export function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The HTML with each link's href replaced by what `replace` returns for its URL (null: left as
 * it is). Replacements are written as double-quoted values.
 */
export function rewriteLinks(html: string, links: FoundLink[], replace: (url: string) => string | null): string {
  let out = '';
  let at = 0;
  for (const link of links) {
    const replacement = replace(link.url);
    if (replacement === null) continue;
    const value = escapeAttribute(replacement);
    out += html.slice(at, link.start) + (link.quoted ? value : `"${value}"`);
    at = link.end;
  }
  return at === 0 ? html : out + html.slice(at);
}

/** The pixel goes before the last </body>, or at the end when there is none. */
export function appendBeforeBodyEnd(html: string, snippet: string): string {
  const at = html.toLowerCase().lastIndexOf('</body');
  return at < 0 ? html + snippet : html.slice(0, at) + snippet + html.slice(at);
}
