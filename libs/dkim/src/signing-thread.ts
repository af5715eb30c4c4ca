import { parentPort } from 'node:worker_threads';
import { mailauthSignatures, type OpenSigningKey } from './mailauth-sign';

/** A signing thread of DkimSigner: requests in, signature header lines (or an error) out. */
export interface SignRequest {
  id: number;
  message: Uint8Array;
  domain: string;
  keys: OpenSigningKey[];
}

export type SignResponse = { id: number; signatures: string } | { id: number; error: string };

parentPort?.on('message', (request: SignRequest) => {
  const message = Buffer.from(request.message.buffer, request.message.byteOffset, request.message.byteLength);
  mailauthSignatures(message, request.domain, request.keys).then(
    (signatures) => parentPort!.postMessage({ id: request.id, signatures } satisfies SignResponse),
    (error: unknown) => parentPort!.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies SignResponse),
  );
});
