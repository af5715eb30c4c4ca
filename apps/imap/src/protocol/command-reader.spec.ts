import { describe, expect, it } from 'vitest';
import { CommandReader, type Frame } from './command-reader';

const limits = { maxLineLength: 100, maxLiteralSize: 50, maxAppendSize: 1000, maxLiterals: 3 };

function reader() {
  let continuations = 0;
  const r = new CommandReader(limits, () => continuations++);
  const frames = (input: string | Buffer): Frame[] => {
    r.push(Buffer.isBuffer(input) ? input : Buffer.from(input));
    const out: Frame[] = [];
    for (let f = r.next(); f; f = r.next()) out.push(f);
    return out;
  };
  return { r, frames, continuations: () => continuations };
}

describe('CommandReader', () => {
  it('takes APPEND-sized literals only once logged in, and caps one command\'s literals together', () => {
    const { r, frames } = reader();
    r.authenticated = () => false;
    const before = frames('a1 APPEND INBOX {200}\r\n');
    expect(before).toEqual([expect.objectContaining({ kind: 'error', tag: 'a1', message: expect.stringContaining('over the limit of 50') })]);
    r.authenticated = () => true;
    expect(frames('a2 APPEND INBOX {200}\r\n')).toEqual([]);
    expect(frames('x'.repeat(200) + '\r\n')).toEqual([expect.objectContaining({ kind: 'command' })]);
    // Three 50-byte literals are each allowed, but not 4 x 50 in one non-APPEND command... here 3 is the count cap.
    const many = frames('a3 LOGIN {50+}\r\n' + 'u'.repeat(50) + ' {50+}\r\n' + 'p'.repeat(50) + '\r\n');
    expect(many).toEqual([expect.objectContaining({ kind: 'command' })]);
  });

  it('splits pipelined lines and accepts bare LF', () => {
    const { frames } = reader();
    expect(frames('a NOOP\r\nb CAPABILITY\nc LOG')).toEqual([
      { kind: 'command', segments: ['a NOOP'], literals: [] },
      { kind: 'command', segments: ['b CAPABILITY'], literals: [] },
    ]);
  });

  it('asks for a synchronizing literal only when its line is complete, and joins the pieces', () => {
    const { frames, continuations } = reader();
    expect(frames('a LOGIN {4}\r\n')).toEqual([]);
    expect(continuations()).toBe(1);
    expect(frames('us')).toEqual([]);
    expect(frames('er {6+}\r\nsecret\r\n')).toEqual([{ kind: 'command', segments: ['a LOGIN ', ' ', ''], literals: [Buffer.from('user'), Buffer.from('secret')] }]);
    expect(continuations()).toBe(1);
  });

  it('takes literal bytes verbatim, CRLF included, across chunks', () => {
    const { frames } = reader();
    const out = frames('a APPEND INBOX {10+}\r\nab\r\n\r\ncd\r\n\r\n');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'command', segments: ['a APPEND INBOX ', ''] });
    expect((out[0] as { literals: Buffer[] }).literals[0].toString()).toBe('ab\r\n\r\ncd\r\n');
  });

  it('refuses an over-long line with its tag and resumes at the next line', () => {
    const { frames } = reader();
    expect(frames(`t1 NOOP ${'x'.repeat(150)}`)).toEqual([]);
    expect(frames(`${'y'.repeat(500)}\r\nt2 NOOP\r\n`)).toEqual([
      { kind: 'error', tag: 't1', tooBig: false, message: 'line too long' },
      { kind: 'command', segments: ['t2 NOOP'], literals: [] },
    ]);
  });

  it('refuses a synchronizing literal over the limit without waiting for it', () => {
    const { frames, continuations } = reader();
    expect(frames('t1 LOGIN {51}\r\nt2 NOOP\r\n')).toEqual([
      { kind: 'error', tag: 't1', tooBig: false, message: 'literal of 51 bytes is over the limit of 50' },
      { kind: 'command', segments: ['t2 NOOP'], literals: [] },
    ]);
    expect(continuations()).toBe(0);
  });

  it('discards a non-synchronizing literal over the limit as it arrives, then answers', () => {
    const { r, frames } = reader();
    expect(frames('t1 LOGIN {200+}\r\n')).toEqual([]);
    expect(frames('z'.repeat(150))).toEqual([]);
    expect(r.buffered).toBe(0);
    expect(frames(`${'z'.repeat(50)} more\r\nt2 NOOP\r\n`)).toEqual([
      { kind: 'error', tag: 't1', tooBig: false, message: 'literal of 200 bytes is over the limit of 50' },
      { kind: 'command', segments: ['t2 NOOP'], literals: [] },
    ]);
  });

  it('allows APPEND up to its own limit and flags bigger ones as TOOBIG', () => {
    const { frames } = reader();
    expect(frames('t1 APPEND INBOX {1001}\r\n')).toEqual([{ kind: 'error', tag: 't1', tooBig: true, message: 'literal of 1001 bytes is over the limit of 1000' }]);
    const ok = frames(`t2 APPEND INBOX {500+}\r\n${'m'.repeat(500)}\r\n`);
    expect(ok[0].kind).toBe('command');
    // MULTIAPPEND: messages each within the limit but together over the command's bound.
    const multi = frames(`t3 APPEND INBOX {900+}\r\n${'m'.repeat(900)} {900+}\r\n${'n'.repeat(900)}\r\n`);
    expect(multi).toEqual([{ kind: 'error', tag: 't3', tooBig: true, message: 'literals of this command are over the size limit' }]);
  });

  it('limits the number of literals in one command', () => {
    const { frames } = reader();
    const out = frames('t1 X {1+}\r\na {1+}\r\nb {1+}\r\nc {1+}\r\nd\r\n');
    expect(out).toEqual([{ kind: 'error', tag: 't1', tooBig: false, message: 'too many literals' }]);
  });
});
