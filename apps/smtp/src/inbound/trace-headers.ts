import { findBodyStart, withoutHeaderFields } from '@mailroom/mime';

/**
 * Header fields the receiving MTA adds at final delivery (RFC 5321 4.4) and the clean-up it
 * owes the reader: an incoming `Authentication-Results` that claims our authserv-id is a
 * forgery (RFC 8601 5) and an incoming `Return-Path` is not the envelope's, so both go.
 */
export interface TraceInput {
  /** MAIL FROM, '' for the null sender. */
  mailFrom: string;
  /** The envelope recipient the copy is delivered for. */
  recipient: string;
  helo: string;
  clientHostname: string;
  ip: string;
  secure: boolean;
  /** MAIL_HOSTNAME. */
  host: string;
  id: string;
  date?: Date;
}

/**
 * `Return-Path` and `Delivered-To` go on top, then (from the caller) the authentication
 * results, then `Received`: RFC 8601 5 wants Authentication-Results above the trace fields of
 * the hop it describes.
 */
export function traceHeaders(input: TraceInput, authentication = ''): string {
  const protocol = input.secure ? 'ESMTPS' : 'ESMTP';
  const rdns = input.clientHostname && input.clientHostname !== `[${input.ip}]` ? `${token(input.clientHostname)} ` : '';
  return (
    `Return-Path: <${address(input.mailFrom)}>\r\n` +
    `Delivered-To: ${address(input.recipient)}\r\n` +
    authentication +
    `Received: from ${token(input.helo) || 'unknown'} (${rdns}[${input.ip}])\r\n` +
    `\tby ${input.host} (Mailroom) with ${protocol} id ${token(input.id)}\r\n` +
    `\tfor <${address(input.recipient)}>; ${(input.date ?? new Date()).toUTCString().replace('GMT', '+0000')}\r\n`
  );
}

// Client-chosen values (HELO, PTR) go into a header: only what a host name or literal holds.
function token(value: string): string {
  return value.replace(/[^A-Za-z0-9.\-:[\]_]/g, '_').slice(0, 255);
}

// Addresses passed smtp-server's checks (no controls); keep them from closing the bracket.
function address(value: string): string {
  return value.replace(/[\s<>]/g, '');
}

/** Removes `Authentication-Results` claiming `authservId` and any `Return-Path` from the header section. */
export function stripUntrustedTrace(raw: Buffer, authservId: string): Buffer {
  // Most mail has neither field: a look at the header text first spares reading its fields.
  if (!/^(authentication-results|return-path)[ \t]*:/im.test(raw.toString('latin1', 0, findBodyStart(raw, 0, raw.length)))) return raw;
  return withoutHeaderFields(raw, (field) => field.key === 'return-path' || (field.key === 'authentication-results' && claimsOurs(field.value, authservId)));
}

/**
 * Whether an incoming Authentication-Results field could pass for ours: its authserv-id
 * (comments of any nesting removed, quotes and a trailing dot ignored) is our id, our id appears
 * in it as a token at all, or it cannot be parsed. Such fields are dropped (RFC 8601 section 5).
 */
function claimsOurs(value: string, authservId: string): boolean {
  const ours = authservId.toLowerCase().replace(/\.$/, '');
  const text = withoutComments(value).toLowerCase();
  const id = (text.split(';')[0] ?? '').trim().split(/\s+/)[0]?.replace(/^"|"$/g, '').replace(/\.$/, '') ?? '';
  if (!id || id === ours) return true;
  const escaped = ours.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^a-z0-9.-])${escaped}\\.?($|[^a-z0-9.-])`).test(text);
}

/** Removes RFC 5322 comments, nested ones too, in one pass (quoted strings are left alone). */
function withoutComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && (quoted || depth > 0)) {
      i++;
      continue;
    }
    if (!depth && c === '"') quoted = !quoted;
    if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')' && depth > 0) {
      depth--;
      out += ' ';
    } else if (!depth) out += c;
  }
  return out;
}
