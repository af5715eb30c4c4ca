import { Injectable } from '@nestjs/common';
import { Secrets } from '@mailroom/crypto';
import { bytesUuid, openToken, sealToken, uuidBytes } from '../tracking/signed-token';

/** Who an unsubscribe link speaks for. */
export interface UnsubscribeTarget {
  accountId: string;
  /** Null for API broadcast mail to an address that is no contact: the address is suppressed. */
  contactId: string | null;
  /** Null: every list of the account (and the account's suppression list). */
  listId: string | null;
  /** The recipient (message copy) it came in, for the campaign's numbers; null on a web version. */
  recipientId: string | null;
}

const KIND = 0x55; // 'U'
const HAS_RECIPIENT = 1;
const HAS_CONTACT = 2;
const HAS_LIST = 4;

/** The local part of the List-Unsubscribe mailto: hex only, since MTAs may change its case. */
const MAILTO_RE = /^unsubscribe-([0-9a-f]{32})-([0-9a-f]{16})$/;
const MAILTO_MAC_BYTES = 8;

/**
 * Unsubscribe tokens. The https one (`/u/TOKEN`) is self-contained: account, recipient, contact
 * and list in 18-66 bytes plus a 96-bit HMAC, base64url (up to 104 characters), and never expires.
 * The mailto one must fit a 64-octet local part and survive case changes, so it names only the
 * recipient (`unsubscribe-<32 hex>-<16 hex mac>`, 61 characters); the rest is read from its row.
 */
@Injectable()
export class UnsubscribeTokens {
  constructor(private readonly secrets: Secrets) {}

  encode(t: UnsubscribeTarget): string {
    const parts = [uuidBytes(t.accountId)];
    let flags = 0;
    if (t.recipientId) (flags |= HAS_RECIPIENT), parts.push(uuidBytes(t.recipientId));
    if (t.contactId) (flags |= HAS_CONTACT), parts.push(uuidBytes(t.contactId));
    if (t.listId) (flags |= HAS_LIST), parts.push(uuidBytes(t.listId));
    return sealToken(this.secrets, 'unsubscribe', KIND, Buffer.concat([Buffer.of(flags), ...parts]));
  }

  /** The target of a token whose signature holds, or null for anything else. */
  decode(token: string): UnsubscribeTarget | null {
    const payload = openToken(this.secrets, 'unsubscribe', KIND, token);
    if (!payload || payload.length < 17) return null;
    const flags = payload[0]!;
    if (flags & ~(HAS_RECIPIENT | HAS_CONTACT | HAS_LIST)) return null;
    let at = 1;
    const next = () => {
      const id = payload.subarray(at, at + 16);
      at += 16;
      return id.length === 16 ? bytesUuid(id) : null;
    };
    const accountId = next();
    const recipientId = flags & HAS_RECIPIENT ? next() : null;
    const contactId = flags & HAS_CONTACT ? next() : null;
    const listId = flags & HAS_LIST ? next() : null;
    if (!accountId || at !== payload.length || (flags & HAS_RECIPIENT && !recipientId) || (flags & HAS_CONTACT && !contactId) || (flags & HAS_LIST && !listId)) return null;
    return { accountId, recipientId, contactId, listId };
  }

  /** `unsubscribe-<recipient>-<mac>`, the local part of the mailto address. */
  mailtoLocalPart(recipientId: string): string {
    const hex = uuidBytes(recipientId).toString('hex');
    return `unsubscribe-${hex}-${this.mailtoMac(hex)}`;
  }

  /** The recipient a mailto local part names, when its signature holds (any case). */
  parseMailtoLocalPart(local: string): string | null {
    const match = MAILTO_RE.exec(local.toLowerCase());
    if (!match) return null;
    const [, hex, mac] = match;
    const signature = Buffer.from(mac!, 'hex').toString('base64url');
    return this.secrets.verify('unsubscribe', `mailto:${hex}`, signature, MAILTO_MAC_BYTES) ? bytesUuid(Buffer.from(hex!, 'hex')) : null;
  }

  /** Whether a local part is shaped like a mailto unsubscribe address (signed or not). */
  static looksLikeMailto(local: string): boolean {
    return local.toLowerCase().startsWith('unsubscribe-');
  }

  private mailtoMac(hex: string): string {
    return Buffer.from(this.secrets.sign('unsubscribe', `mailto:${hex}`, MAILTO_MAC_BYTES), 'base64url').toString('hex');
  }
}
