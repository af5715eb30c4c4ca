import { timingSafeEqual } from 'node:crypto';
import type { Secrets, SecretPurpose } from '@mailroom/crypto';

/**
 * The binary frame every link token of the newsletter half shares: a kind byte, the payload, then
 * a truncated HMAC-SHA256 (Secrets.sign, a key derived from SECRET_KEY per purpose) over kind and
 * payload, all in base64url. The kind byte is signed too, so a token of one kind can never be
 * passed off as another (an open token as a click), and tokens carry no expiry: a link in a mail
 * read a year later still works.
 */
export const MAC_BYTES = 12;

/** Longest token accepted from a URL: a click token with a long URL, well under any URL limit. */
export const MAX_TOKEN_CHARS = 4096;

export function sealToken(secrets: Secrets, purpose: SecretPurpose, kind: number, payload: Buffer): string {
  const body = Buffer.concat([Buffer.of(kind), payload]);
  return Buffer.concat([body, mac(secrets, purpose, body)]).toString('base64url');
}

/** The payload of a token of this kind whose signature holds, or null (never says why). */
export function openToken(secrets: Secrets, purpose: SecretPurpose, kind: number, token: string): Buffer | null {
  if (token.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
  const bytes = Buffer.from(token, 'base64url');
  // Re-encoding must give the same text: no second spelling of one token (trailing bits).
  if (bytes.length < 1 + MAC_BYTES || bytes.toString('base64url') !== token || bytes[0] !== kind) return null;
  const body = bytes.subarray(0, bytes.length - MAC_BYTES);
  const given = bytes.subarray(bytes.length - MAC_BYTES);
  return timingSafeEqual(mac(secrets, purpose, body), given) ? body.subarray(1) : null;
}

function mac(secrets: Secrets, purpose: SecretPurpose, body: Buffer): Buffer {
  return Buffer.from(secrets.sign(purpose, body.toString('base64url'), MAC_BYTES), 'base64url');
}

const HEX32 = /^[0-9a-f]{32}$/;

/** A UUID as its 16 bytes. */
export function uuidBytes(id: string): Buffer {
  const hex = id.replace(/-/g, '').toLowerCase();
  if (!HEX32.test(hex)) throw new Error(`not a uuid: ${id}`);
  return Buffer.from(hex, 'hex');
}

export function bytesUuid(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
