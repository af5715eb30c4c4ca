import { dkimSign } from 'mailauth/lib/dkim/sign';
import type { SecretBox } from '@mailroom/crypto';
import { cachePemPrivateKeys } from './private-key-cache';

export interface SigningKey {
  selector: string;
  algorithm: 'rsa' | 'ed25519';
  privateKeyEncrypted: string;
}

/** Headers we sign: what a receiver shows or uses to route, per RFC 6376 5.4.1's advice. */
const SIGNED_HEADERS = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version',
  'Content-Type', 'Content-Transfer-Encoding', 'Content-ID', 'Content-Description', 'Resent-Date',
  'Resent-From', 'Resent-Sender', 'Resent-To', 'Resent-Cc', 'Resent-Message-ID', 'In-Reply-To',
  'References', 'List-Id', 'List-Help', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'List-Subscribe',
  'List-Post', 'List-Owner', 'List-Archive', 'Feedback-ID',
].join(':');

/**
 * Signs outgoing mail with every active key of the sending domain (RSA-2048, and Ed25519 as a
 * second signature, RFC 8463). Keys are decrypted once per process and kept in memory.
 */
export class DkimSigner {
  private readonly keys = new Map<string, string>();

  constructor(private readonly box: SecretBox) {
    cachePemPrivateKeys();
  }

  /** The DKIM-Signature header lines to put in front of the message (CRLF-terminated). */
  async signatures(message: Buffer, domain: string, keys: SigningKey[]): Promise<string> {
    // Mail from Mailroom is always signed: without a key it waits (and is retried) rather than leave unsigned.
    if (!keys.length) throw new Error(`${domain} has no active DKIM key`);
    // The typings want a top-level key even with signatureData; the signer uses only the list.
    const options = {
      canonicalization: 'relaxed/relaxed',
      headerList: SIGNED_HEADERS,
      signatureData: keys.map((key) => ({
        signingDomain: domain,
        selector: key.selector,
        privateKey: this.key(key),
        algorithm: key.algorithm === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256',
      })),
    } as unknown as Parameters<typeof dkimSign>[1];
    const result = await dkimSign(message, options);
    if (result.errors?.length) throw new Error(`DKIM signing failed for ${domain}: ${String((result.errors[0] as { err?: unknown }).err ?? result.errors[0])}`);
    if (!result.signatures) throw new Error(`DKIM signing produced no signature for ${domain}`);
    return result.signatures;
  }

  async sign(message: Buffer, domain: string, keys: SigningKey[]): Promise<Buffer> {
    return Buffer.concat([Buffer.from(await this.signatures(message, domain, keys)), message]);
  }

  private key(key: SigningKey): string {
    let pem = this.keys.get(key.privateKeyEncrypted);
    if (!pem) {
      pem = this.box.open(key.privateKeyEncrypted);
      if (this.keys.size > 10_000) this.keys.clear();
      this.keys.set(key.privateKeyEncrypted, pem);
    }
    return pem;
  }
}
