import { generateKeyPair as generateKeyPairCb, createPublicKey } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPair = promisify(generateKeyPairCb);

export type DkimAlgorithmName = 'rsa' | 'ed25519';

export interface GeneratedDkimKey {
  selector: string;
  algorithm: DkimAlgorithmName;
  /** The p= value of the DNS record. */
  publicKey: string;
  privateKeyPem: string;
}

/** Selectors name the month of creation so a rotated key gets a new, readable selector. */
export function selectorFor(algorithm: DkimAlgorithmName, now = new Date()): string {
  const stamp = `${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  return algorithm === 'rsa' ? `mr${stamp}r` : `mr${stamp}e`;
}

/** RSA-2048 and Ed25519 (RFC 8463) keys for one domain, generated off the event loop. */
export async function generateDkimKeys(now = new Date()): Promise<GeneratedDkimKey[]> {
  const [rsa, ed] = await Promise.all([
    generateKeyPair('rsa', { modulusLength: 2048 }),
    generateKeyPair('ed25519'),
  ]);
  return [
    {
      selector: selectorFor('rsa', now),
      algorithm: 'rsa',
      publicKey: rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      privateKeyPem: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    },
    {
      selector: selectorFor('ed25519', now),
      algorithm: 'ed25519',
      // RFC 8463: the p= value is the raw 32-byte public key, not the SPKI wrapper.
      publicKey: ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64'),
      privateKeyPem: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    },
  ];
}

/** The TXT value to publish at <selector>._domainkey.<domain>. */
export function dkimRecordValue(algorithm: DkimAlgorithmName, publicKey: string): string {
  return `v=DKIM1; k=${algorithm}; p=${publicKey}`;
}

/** The p= value for a private key, to check that a stored key and its published record agree. */
export function publicKeyOf(privateKeyPem: string, algorithm: DkimAlgorithmName): string {
  const der = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  return (algorithm === 'rsa' ? der : der.subarray(-32)).toString('base64');
}
