import type { dkimSign as DkimSign } from 'mailauth/lib/dkim/sign';
import { cachePemPrivateKeys } from './private-key-cache';
import { SIGNED_HEADERS, type OpenSigningKey } from './relaxed-signer';

// mailauth (with joi and its friends, ~100 modules) loads on the first signature, not with every
// importer of this lib: the operator CLI only generates keys, and answers faster without it.
let dkimSign: typeof DkimSign | undefined;

/**
 * The DKIM-Signature header lines (CRLF-terminated) mailauth makes for `message` with every key:
 * the signer Mailroom used before relaxed-signer.ts, kept as the reference that the corpus test
 * and bench:dkim compare ours with (same keys and signing time: the same bytes).
 */
export async function mailauthSignatures(message: Buffer, domain: string, keys: OpenSigningKey[], signTime?: Date): Promise<string> {
  cachePemPrivateKeys();
  dkimSign ??= (require('mailauth/lib/dkim/sign') as { dkimSign: typeof DkimSign }).dkimSign;
  // The typings want a top-level key even with signatureData; the signer uses only the list.
  const options = {
    canonicalization: 'relaxed/relaxed',
    headerList: SIGNED_HEADERS.join(':'),
    ...(signTime ? { signTime } : {}),
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
