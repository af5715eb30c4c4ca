import { createHash } from 'node:crypto';
import { Secrets } from '@mailroom/crypto';

/**
 * VERP envelope senders. The local part names the work and is signed with SECRET_KEY, so an
 * asynchronous bounce is matched to exactly what it bounces, and nobody can forge one that
 * changes another message's status:
 *
 *   bnc-r<recipient id, 32 hex>-<mac, 16 hex>@<return-path domain>   one recipient in the transaction
 *   bnc-m<message id, 32 hex>-<mac, 16 hex>@<return-path domain>     several (the DSN names which)
 *
 * Only hex and dashes: some MTAs change the case of local parts, and this survives that.
 * 54 characters, within the 64 RFC 5321 allows.
 */
export type ReturnPathToken =
  | { kind: 'recipient'; recipientId: string }
  /** `domain` (when bound) limits reports to the recipients of that one transaction. */
  | { kind: 'message'; messageId: string; domainHash?: string };

/** The 8-hex tag a message token carries for the recipient domain of its transaction. */
export function recipientDomainHash(domain: string): string {
  return createHash('sha256').update(domain.toLowerCase()).digest('hex').slice(0, 8);
}

const MAC_BYTES = 8;
const LOCAL_RE = /^bnc-([rm])([0-9a-f]{32})-([0-9a-f]{16})$/;
const DOMAIN_RE = /^bnc-d([0-9a-f]{32})([0-9a-f]{8})-([0-9a-f]{16})$/;

const hex = (uuid: string) => uuid.replace(/-/g, '').toLowerCase();
const uuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;

export class ReturnPath {
  constructor(private readonly secrets: Secrets) {}

  /**
   * A transaction to several recipients of one domain carries the message and that domain:
   * `bnc-d<message, 32 hex><domain tag, 8 hex>-<mac>` (63 characters), so a report through it
   * can only reach that transaction's recipients, not those in other domains.
   */
  addressForDomain(messageId: string, recipientDomain: string, returnPathDomain: string): string {
    const data = hex(messageId) + recipientDomainHash(recipientDomain);
    return `bnc-d${data}-${this.mac('d' + data)}@${returnPathDomain}`;
  }

  address(token: ReturnPathToken, returnPathDomain: string): string {
    if (token.kind === 'message' && token.domainHash) throw new Error('use addressForDomain for a domain-bound token');
    const kind = token.kind === 'recipient' ? 'r' : 'm';
    const id = hex(token.kind === 'recipient' ? token.recipientId : token.messageId);
    return `bnc-${kind}${id}-${this.mac(kind + id)}@${returnPathDomain}`;
  }

  /** The token in a VERP address, or null when it is not one of ours or its signature is wrong. */
  parse(address: string): ReturnPathToken | null {
    const at = address.lastIndexOf('@');
    const local = (at < 0 ? address : address.slice(0, at)).toLowerCase();
    const bound = DOMAIN_RE.exec(local);
    if (bound) {
      const [, id, domainHash, mac] = bound;
      if (!timingSafeEqualHex(this.mac('d' + id + domainHash), mac)) return null;
      return { kind: 'message', messageId: uuid(id), domainHash };
    }
    const match = LOCAL_RE.exec(local);
    if (!match) return null;
    const [, kind, id, mac] = match;
    const expected = this.mac(kind + id);
    if (!timingSafeEqualHex(expected, mac)) return null;
    return kind === 'r' ? { kind: 'recipient', recipientId: uuid(id) } : { kind: 'message', messageId: uuid(id) };
  }

  private mac(data: string): string {
    return Buffer.from(this.secrets.sign('verp', data, MAC_BYTES), 'base64url').toString('hex');
  }
}

function timingSafeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** For a domain-bound message token, which recipient domains it speaks for; otherwise all. */
export function tokenCovers(token: ReturnPathToken): (recipientDomain: string) => boolean {
  if (token.kind !== 'message' || !token.domainHash) return () => true;
  const tag = token.domainHash;
  return (recipientDomain) => recipientDomainHash(recipientDomain) === tag;
}
