import { parentPort } from 'node:worker_threads';
import { relaxedSignatures, type OpenSigningKey } from './relaxed-signer';

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
  let response: SignResponse;
  try {
    response = { id: request.id, signatures: relaxedSignatures(message, request.domain, request.keys) };
  } catch (error) {
    response = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(response);
});
