import { Injectable } from '@nestjs/common';
import { Secrets } from '@mailroom/crypto';
import { bytesUuid, openToken, sealToken, uuidBytes } from './signed-token';

const OPEN = 0x4f; // 'O'
const CLICK = 0x43; // 'C'
const WEB = 0x57; // 'W'

/** A click token: the recipient, the URL it may redirect to, and how many distinct links the message had. */
export interface ClickTarget {
  recipientId: string;
  url: string;
  /** Distinct tracked links in the copy: a scanner clicks them all within a second or two. */
  links: number;
}

export interface WebVersionTarget {
  accountId: string;
  campaignId: string;
  contactId: string | null;
}

/**
 * Open, click and web-version tokens, signed with the `tracking` key. A click token carries its
 * URL inside the signature, so /t/c/TOKEN can only redirect to a URL that was in the message:
 * change one character of URL or recipient and the token is unknown (no open redirect).
 */
@Injectable()
export class TrackingTokens {
  constructor(private readonly secrets: Secrets) {}

  open(recipientId: string): string {
    return sealToken(this.secrets, 'tracking', OPEN, uuidBytes(recipientId));
  }

  parseOpen(token: string): string | null {
    const payload = openToken(this.secrets, 'tracking', OPEN, token);
    return payload?.length === 16 ? bytesUuid(payload) : null;
  }

  click(t: ClickTarget): string {
    const count = Buffer.alloc(2);
    count.writeUInt16BE(Math.min(t.links, 0xffff));
    return sealToken(this.secrets, 'tracking', CLICK, Buffer.concat([uuidBytes(t.recipientId), count, Buffer.from(t.url, 'utf8')]));
  }

  parseClick(token: string): ClickTarget | null {
    const payload = openToken(this.secrets, 'tracking', CLICK, token);
    if (!payload || payload.length < 19) return null;
    const url = payload.subarray(18).toString('utf8');
    if (!/^https?:\/\//i.test(url)) return null;
    return { recipientId: bytesUuid(payload.subarray(0, 16)), links: payload.readUInt16BE(16), url };
  }

  webVersion(t: WebVersionTarget): string {
    const parts = [uuidBytes(t.accountId), uuidBytes(t.campaignId), ...(t.contactId ? [uuidBytes(t.contactId)] : [])];
    return sealToken(this.secrets, 'tracking', WEB, Buffer.concat(parts));
  }

  parseWebVersion(token: string): WebVersionTarget | null {
    const payload = openToken(this.secrets, 'tracking', WEB, token);
    if (!payload || (payload.length !== 32 && payload.length !== 48)) return null;
    return {
      accountId: bytesUuid(payload.subarray(0, 16)),
      campaignId: bytesUuid(payload.subarray(16, 32)),
      contactId: payload.length === 48 ? bytesUuid(payload.subarray(32, 48)) : null,
    };
  }
}
