import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { domainToASCII } from 'node:url';
// The one file, not @mailroom/mime's index: a signing thread loads what this file imports.
import { findBodyStart } from '../../mime/src/header-fields';
import { headerFields, relaxedBodyHash, relaxedHeader } from './relaxed-canonical';

/** A domain key ready to sign with: what DkimSigner hands to the signer, in a thread or not. */
export interface OpenSigningKey {
  selector: string;
  algorithm: 'rsa' | 'ed25519';
  privateKeyPem: string;
}

/** Headers we sign: what a receiver shows or uses to route, per RFC 6376 5.4.1's advice. */
export const SIGNED_HEADERS = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version',
  'Content-Type', 'Content-Transfer-Encoding', 'Content-ID', 'Content-Description', 'Resent-Date',
  'Resent-From', 'Resent-Sender', 'Resent-To', 'Resent-Cc', 'Resent-Message-ID', 'In-Reply-To',
  'References', 'List-Id', 'List-Help', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'List-Subscribe',
  'List-Post', 'List-Owner', 'List-Archive', 'Feedback-ID',
];
const SIGNED = new Set(SIGNED_HEADERS.map((name) => name.toLowerCase()));

const MAX_KEYS = 1_000;
const keyObjects = new Map<string, KeyObject>();

/**
 * The DKIM-Signature header of `message` for every key, each on one line and not yet folded
 * (foldSignatures folds them): relaxed/relaxed, rsa-sha256 or ed25519-sha256 (RFC 8463), the
 * tags mailauth wrote before (v a c d h q s t bh b), b= broken into 75-character pieces at
 * spaces. The body hash is computed once for all keys. Signs every instance of a listed header
 * that is present, bottom-up (RFC 6376 5.4.2). What a signing thread runs: this file loads no
 * more than node:crypto and the canonicalization, so each thread stays small.
 */
export function unfoldedSignatures(message: Buffer, domain: string, keys: OpenSigningKey[], now = Date.now()): string[] {
  const start = findBodyStart(message, 0, message.length);
  // The empty line that ends the header block is not part of any field.
  const fields = headerFields(message, start);
  const signed = fields.filter((field) => SIGNED.has(field.key)).reverse();
  // RFC 6376 5.4 and 6.1.1: a signature that does not cover From fails everywhere.
  if (!signed.some((field) => field.key === 'from')) throw new Error(`DKIM signing failed for ${domain}: Can not sign a message that has no From header`);
  const canonicalFields = signed.map(relaxedHeader).join('');
  const bh = relaxedBodyHash(message, start);
  const d = aLabel(domain);
  const h = signed.map((field) => field.name).join(': ');
  const t = Math.floor(now / 1000);
  return keys.map((key) => {
    const a = key.algorithm === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256';
    const tags = `v=1; a=${a}; c=relaxed/relaxed; d=${d}; h=${h}; q=dns/txt; s=${aLabel(key.selector)}; t=${t}; bh=${bh}; b=`;
    // 3.7: the signature header itself, b= empty, relaxed, without its CRLF, after the signed fields.
    const data = Buffer.from(`${canonicalFields}dkim-signature:${tags.replace(/[ \t]+/g, ' ')}`, 'latin1');
    const keyObject = privateKey(key.privateKeyPem);
    // RFC 8463 3: Ed25519 signs the SHA-256 of the data (PureEdDSA over the hash), RSA the data.
    const b = (key.algorithm === 'rsa' ? sign('sha256', data, keyObject) : sign(null, createHash('sha256').update(data).digest(), keyObject)).toString('base64');
    return `DKIM-Signature: ${tags.slice(0, -2)}${`b=${b}`.replace(/.{75}/g, '$& ').trim()}`;
  });
}

/** One KeyObject per key and thread: a new RSA KeyObject pays its Montgomery set-up again. */
function privateKey(pem: string): KeyObject {
  let key = keyObjects.get(pem);
  if (!key) {
    key = createPrivateKey(pem);
    if (keyObjects.size >= MAX_KEYS) keyObjects.delete(keyObjects.keys().next().value!);
    keyObjects.set(pem, key);
  }
  return key;
}

function aLabel(name: string): string {
  return /[^\x00-\x7f]/.test(name) ? domainToASCII(name.normalize('NFC')) || name : name;
}
