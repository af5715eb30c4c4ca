import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readMessage } from './message-reader';

async function read(chunks: Array<string | Buffer>, maxBytes = 1_000_000, maxLineLength = 10) {
  const stream = new PassThrough();
  const result = readMessage(stream, { maxBytes, maxLineLength });
  for (const c of chunks) stream.write(c);
  stream.end();
  return result;
}

describe('readMessage', () => {
  it('keeps the message whole, in any chunking', async () => {
    const result = await read(['Subject: a\r', '\n\r\n0123456789\r', '\n', 'x\r\n']);
    expect(result).toEqual({ ok: true, raw: Buffer.from('Subject: a\r\n\r\n0123456789\r\nx\r\n') });
  });

  it('counts a line without its CRLF, across chunk boundaries', async () => {
    expect((await read(['01234', '56789\r\n'])).ok).toBe(true);
    expect((await read(['0123456789\n'])).ok).toBe(true);
    expect(await read(['01234', '567890\r\n'])).toMatchObject({ ok: false, reason: 'line' });
    expect(await read(['0123456789', 'A', 'B'])).toMatchObject({ ok: false, reason: 'line' });
    // The last line may end without CRLF.
    expect((await read(['ok\r\n0123456789'])).ok).toBe(true);
  });

  it('stops keeping data past the size limit and says so', async () => {
    const result = await read(['12345\r\n', '12345\r\n'], 10);
    expect(result).toEqual({ ok: false, reason: 'size', bytes: 14 });
  });

  it('reports a stream that broke off', async () => {
    const stream = new PassThrough();
    const result = readMessage(stream, { maxBytes: 100, maxLineLength: 100 });
    stream.write('half');
    stream.destroy(new Error('gone'));
    expect(await result).toMatchObject({ ok: false, reason: 'aborted' });
  });
});
