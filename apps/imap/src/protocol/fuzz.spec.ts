import { describe, expect, it } from 'vitest';
import { CommandReader } from './command-reader';
import { Args, ParseError, parseCommand } from './command-parser';
import { parseFetchItems } from './fetch-items';
import { BadCharsetError, parseSearch } from './search-query';
import { parseSequenceSet } from './sequence-set';

/** Deterministic pseudo-random input: IMAP-looking fragments mixed with arbitrary bytes. */
function generator(seed: number) {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pieces = ['a1 ', 'FETCH ', 'SEARCH ', 'UID ', '1:*', '(', ')', '"', '\\', '[', ']', '<', '>', '{3}', '{2+}', '\r\n', '\n', ' ', 'BODY[', 'HEADER.FIELDS (', 'OR ', 'NOT ', 'CHARSET ', '*', '%', 'NIL', '\0', '\xff', 'é', '.', '0', '99999999999'];
  return () => {
    let out = '';
    const n = Math.floor(next() * 30);
    for (let i = 0; i < n; i++) out += next() < 0.8 ? pieces[Math.floor(next() * pieces.length)] : String.fromCharCode(Math.floor(next() * 256));
    return out;
  };
}

const known = (error: unknown) => error instanceof ParseError || error instanceof BadCharsetError;

describe('protocol core under random input', () => {
  it('never throws anything but a parse error, and keeps its buffers bounded', () => {
    const input = generator(42);
    const reader = new CommandReader({ maxLineLength: 256, maxLiteralSize: 64, maxAppendSize: 128, maxLiterals: 4 }, () => undefined);
    let frames = 0;
    for (let round = 0; round < 5000; round++) {
      reader.push(Buffer.from(input(), 'latin1'));
      for (let frame = reader.next(); frame; frame = reader.next()) {
        frames++;
        if (frame.kind !== 'command') continue;
        try {
          const command = parseCommand(frame);
          const args = new Args(command.args);
          if (command.args[0]) parseSequenceSet(command.args[0].type === 'atom' ? command.args[0].value : '', 10);
          if (command.args[1]) parseFetchItems(command.args[1]);
          parseSearch(args.rest(), { messages: 10, largestUid: 20 });
        } catch (error) {
          if (!known(error)) throw error;
        }
      }
      expect(reader.buffered).toBeLessThan(256 + 64 * 30);
    }
    expect(frames).toBeGreaterThan(100);
  });
});
