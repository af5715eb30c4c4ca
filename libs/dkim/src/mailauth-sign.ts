import type { dkimSign as DkimSign } from 'mailauth/lib/dkim/sign';
import { cachePemPrivateKeys } from './private-key-cache';

/** A domain key ready to sign with: what DkimSigner hands to mailauth, in a thread or not. */
export interface OpenSigningKey {
  selector: string;
  algorithm: 'rsa' | 'ed25519';
  privateKeyPem: string;
}

/** Headers we sign: what a receiver shows or uses to route, per RFC 6376 5.4.1's advice. */
const SIGNED_HEADERS = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version',
  'Content-Type', 'Content-Transfer-Encoding', 'Content-ID', 'Content-Description', 'Resent-Date',
  'Resent-From', 'Resent-Sender', 'Resent-To', 'Resent-Cc', 'Resent-Message-ID', 'In-Reply-To',
  'References', 'List-Id', 'List-Help', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'List-Subscribe',
  'List-Post', 'List-Owner', 'List-Archive', 'Feedback-ID',
].join(':');

// mailauth (with joi and its friends, ~100 modules) loads on the first signature, not with every
// importer of this lib: the operator CLI only generates keys, and answers faster without it.
let dkimSign: typeof DkimSign | undefined;

/** The DKIM-Signature header lines (CRLF-terminated) mailauth makes for `message` with every key. */
export async function mailauthSignatures(message: Buffer, domain: string, keys: OpenSigningKey[]): Promise<string> {
  cachePemPrivateKeys();
  dkimSign ??= (require('mailauth/lib/dkim/sign') as { dkimSign: typeof DkimSign }).dkimSign;
  // The typings want a top-level key even with signatureData; the signer uses only the list.
  const options = {
    canonicalization: 'relaxed/relaxed',
    headerList: SIGNED_HEADERS,
    signatureData: keys.map((key) => ({
      signingDomain: domain,
      selector: key.selector,
      privateKey: key.privateKeyPem,
      algorithm: key.algorithm === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256',
    })),
  } as unknown as Parameters<typeof DkimSign>[1];
  const result = await dkimSign(message, options);
  if (result.errors?.length) throw new Error(`DKIM signing failed for ${domain}: ${String((result.errors[0] as { err?: unknown }).err ?? result.errors[0])}`);
  if (!result.signatures) throw new Error(`DKIM signing produced no signature for ${domain}`);
  return result.signatures;
}
