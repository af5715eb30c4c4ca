/**
 * Folder names on the wire are modified UTF-7 (RFC 3501 5.1.3): printable ASCII as itself, `&`
 * as `&-`, anything else as `&` + base64 of UTF-16BE (with `,` for `/`) + `-`.
 */
export function encodeMailboxName(name: string): string {
  let out = '';
  let run = '';
  const flush = () => {
    if (!run) return;
    const utf16 = Buffer.from(run, 'utf16le').swap16();
    out += `&${utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
    run = '';
  };
  for (const ch of name) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += ch === '&' ? '&-' : ch;
    } else {
      run += ch;
    }
  }
  flush();
  return out;
}

/** Decodes a modified UTF-7 name; a name that is not valid modified UTF-7 is kept as sent. */
export function decodeMailboxName(wire: string): string {
  if (!wire.includes('&')) return wire;
  let out = '';
  for (let i = 0; i < wire.length; i++) {
    const ch = wire[i];
    if (ch !== '&') {
      out += ch;
      continue;
    }
    const end = wire.indexOf('-', i + 1);
    if (end === -1) return wire;
    const encoded = wire.slice(i + 1, end);
    if (!encoded) out += '&';
    else {
      if (!/^[A-Za-z0-9+,]+$/.test(encoded)) return wire;
      const bytes = Buffer.from(encoded.replace(/,/g, '/'), 'base64');
      if (bytes.length % 2) return wire;
      out += Buffer.from(bytes).swap16().toString('utf16le');
    }
    i = end;
  }
  return out;
}

/** INBOX is case-insensitive, also as the first level of a path (`inbox/x` is `INBOX/x`). */
export function normalizeFolderName(name: string): string {
  if (name.toUpperCase() === 'INBOX') return 'INBOX';
  if (name.slice(0, 6).toUpperCase() === 'INBOX/') return `INBOX${name.slice(5)}`;
  return name;
}
