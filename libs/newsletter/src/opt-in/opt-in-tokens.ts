import { Injectable } from '@nestjs/common';
import { Secrets } from '@mailroom/crypto';
import { bytesUuid, uuidBytes } from '../tracking/signed-token';

/** How long a confirmation link works. */
export const OPT_IN_TOKEN_DAYS = 7;
const PAYLOAD_BYTES = 16 + 16 + 4;
const PAYLOAD_CHARS = 48; // base64url of 36 bytes
const MAC_BYTES = 16;

export type OptInTokenCheck = { ok: true; listId: string; contactId: string } | { ok: false; reason: 'invalid' | 'expired' };

/**
 * Double opt-in links: list id, contact id and expiry, MACed with a key derived from SECRET_KEY
 * (purpose `opt-in`, so no other token of the installation verifies as one). Stateless: nothing
 * is stored per link; confirming twice is harmless.
 */
@Injectable()
export class OptInTokens {
  constructor(private readonly secrets: Secrets) {}

  issue(listId: string, contactId: string, now = new Date()): string {
    const payload = Buffer.alloc(PAYLOAD_BYTES);
    uuidBytes(listId).copy(payload, 0);
    uuidBytes(contactId).copy(payload, 16);
    payload.writeUInt32BE(Math.floor(now.getTime() / 1000) + OPT_IN_TOKEN_DAYS * 86_400, 32);
    const text = payload.toString('base64url');
    return text + this.secrets.sign('opt-in', text, MAC_BYTES);
  }

  check(token: string, now = new Date()): OptInTokenCheck {
    if (typeof token !== 'string' || token.length !== PAYLOAD_CHARS + 22 || !/^[A-Za-z0-9_-]+$/.test(token)) return { ok: false, reason: 'invalid' };
    const text = token.slice(0, PAYLOAD_CHARS);
    if (!this.secrets.verify('opt-in', text, token.slice(PAYLOAD_CHARS), MAC_BYTES)) return { ok: false, reason: 'invalid' };
    const payload = Buffer.from(text, 'base64url');
    if (payload.readUInt32BE(32) * 1000 < now.getTime()) return { ok: false, reason: 'expired' };
    return { ok: true, listId: bytesUuid(payload.subarray(0, 16)), contactId: bytesUuid(payload.subarray(16, 32)) };
  }
}
