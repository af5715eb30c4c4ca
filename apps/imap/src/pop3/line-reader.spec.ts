import { describe, expect, it } from 'vitest';
import { LineReader, type Pop3Line } from './line-reader';

function drain(reader: LineReader): Pop3Line[] {
  const out: Pop3Line[] = [];
  for (let line = reader.next(); line; line = reader.next()) out.push(line);
  return out;
}

describe('LineReader', () => {
  it('splits pipelined commands in one chunk, CRLF or bare LF, and joins a line split across chunks', () => {
    const reader = new LineReader(100);
    reader.push(Buffer.from('STAT\r\nLIST 1\nRE'));
    reader.push(Buffer.from('TR 2\r'));
    expect(drain(reader)).toEqual([
      { kind: 'line', text: 'STAT' },
      { kind: 'line', text: 'LIST 1' },
    ]);
    reader.push(Buffer.from('\n'));
    expect(drain(reader)).toEqual([{ kind: 'line', text: 'RETR 2' }]);
  });

  it('drops a line over the limit as it arrives and reports it once its end comes', () => {
    const reader = new LineReader(10);
    reader.push(Buffer.from('USER '));
    for (let i = 0; i < 1000; i++) reader.push(Buffer.alloc(1000, 0x61));
    expect(reader.buffered).toBeLessThan(100);
    reader.push(Buffer.from('\r\nNOOP\r\n'));
    expect(drain(reader)).toEqual([{ kind: 'too-long' }, { kind: 'line', text: 'NOOP' }]);
  });

  it('peeks at waiting lines without taking them', () => {
    const reader = new LineReader(100);
    reader.push(Buffer.from('RETR 1\r\nRETR 2\r\n'));
    expect(reader.next()).toEqual({ kind: 'line', text: 'RETR 1' });
    expect(reader.peek()).toEqual([{ kind: 'line', text: 'RETR 2' }]);
    expect(reader.next()).toEqual({ kind: 'line', text: 'RETR 2' });
  });
});
