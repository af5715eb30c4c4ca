import type { Readable } from 'node:stream';
import { Replies, type SmtpReply } from './smtp-reply';

export type ReadResult =
  | { ok: true; raw: Buffer }
  | { ok: false; reason: 'size' | 'line'; bytes: number }
  | { ok: false; reason: 'aborted'; bytes: number };

/**
 * Collects the DATA of one message, enforcing the size limit and the line-length limit as it
 * arrives: once a limit is broken nothing more is kept (the rest is read and dropped, since
 * SMTP can only answer after the final dot), so an oversized message costs no memory.
 */
export function readMessage(stream: Readable & { sizeExceeded?: boolean }, limits: { maxBytes: number; maxLineLength: number }): Promise<ReadResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const max = limits.maxLineLength;
    let bytes = 0;
    let lineLength = 0; // octets since the last LF, across chunks
    let previous = -1; // last byte of the previous chunk
    let broken: 'size' | 'line' | null = null;
    const stop = (reason: 'size' | 'line') => {
      broken = reason;
      chunks.length = 0;
    };
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (broken) return;
      if (stream.sizeExceeded || bytes > limits.maxBytes) return stop('size');
      for (let start = 0; ; ) {
        const lf = chunk.indexOf(0x0a, start);
        if (lf < 0) {
          lineLength += chunk.length - start;
          // Too long even if the next byte ends it with CRLF.
          if (lineLength > max + 1) return stop('line');
          break;
        }
        lineLength += lf - start;
        // The CR of CRLF is not part of the line.
        const before = lf > 0 ? chunk[lf - 1] : previous;
        if ((before === 0x0d && lineLength > 0 ? lineLength - 1 : lineLength) > max) return stop('line');
        lineLength = 0;
        start = lf + 1;
      }
      previous = chunk[chunk.length - 1];
      chunks.push(chunk);
    });
    stream.once('end', () => {
      if (broken) resolve({ ok: false, reason: broken, bytes });
      else if (stream.sizeExceeded) resolve({ ok: false, reason: 'size', bytes });
      else resolve({ ok: true, raw: Buffer.concat(chunks, bytes) });
    });
    stream.once('error', () => resolve({ ok: false, reason: 'aborted', bytes }));
    stream.once('close', () => resolve({ ok: false, reason: 'aborted', bytes }));
  });
}

/** readMessage() with each broken limit turned into its SMTP answer. */
export async function readWithinLimits(
  stream: Readable & { sizeExceeded?: boolean },
  limits: { MAX_MESSAGE_SIZE: number; SMTP_MAX_LINE_LENGTH: number },
): Promise<Buffer | SmtpReply> {
  const read = await readMessage(stream, { maxBytes: limits.MAX_MESSAGE_SIZE, maxLineLength: limits.SMTP_MAX_LINE_LENGTH });
  if (read.ok) return read.raw;
  if (read.reason === 'size') return Replies.tooBig(limits.MAX_MESSAGE_SIZE);
  if (read.reason === 'line') return Replies.lineTooLong(limits.SMTP_MAX_LINE_LENGTH);
  return Replies.temporaryFailure();
}
