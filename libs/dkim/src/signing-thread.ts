import { parentPort } from 'node:worker_threads';
import { unfoldedSignatures, type OpenSigningKey } from './signature-lines';

/** A signing thread of DkimSigner: requests in, signature header lines (or an error) out. */
export interface SignRequest {
  id: number;
  message: Uint8Array;
  domain: string;
  keys: OpenSigningKey[];
}

/** The signature lines unfolded: the caller folds them (libmime stays out of the threads). */
export type SignResponse = { id: number; lines: string[] } | { id: number; error: string };

parentPort?.on('message', (request: SignRequest) => {
  const message = Buffer.from(request.message.buffer, request.message.byteOffset, request.message.byteLength);
  let response: SignResponse;
  try {
    response = { id: request.id, lines: unfoldedSignatures(message, request.domain, request.keys) };
  } catch (error) {
    response = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(response);
});
