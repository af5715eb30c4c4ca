import { describe, expect, it } from 'vitest';
import { dotStuffed, headerAndLines } from './dot-stuffing';

const wire = (message: string) => Buffer.concat(dotStuffed(Buffer.from(message, 'latin1'))).toString('latin1');

describe('dotStuffed', () => {
  it('doubles a leading dot on every line, the first included, and terminates the body', () => {
    expect(wire('.a\r\nb\r\n.\r\n..c\r\n')).toBe('..a\r\nb\r\n..\r\n...c\r\n.\r\n');
  });

  it('leaves dots inside lines alone and adds the CRLF a last line lacks', () => {
    expect(wire('a.b\r\nc.')).toBe('a.b\r\nc.\r\n.\r\n');
    expect(wire('x\r\n.')).toBe('x\r\n..\r\n.\r\n');
  });

  it('sends an empty message as the terminator alone', () => {
    expect(wire('')).toBe('.\r\n');
  });

  it('does not copy the message: the parts are slices of it', () => {
    const message = Buffer.from('a\r\n.b\r\n');
    const parts = dotStuffed(message);
    expect(parts[0].buffer).toBe(message.buffer);
  });
});

describe('headerAndLines', () => {
  const message = Buffer.from('A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3');

  it('keeps the header, the blank line and n body lines', () => {
    expect(headerAndLines(message, 0).toString()).toBe('A: 1\r\nB: 2\r\n\r\n');
    expect(headerAndLines(message, 2).toString()).toBe('A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n');
    expect(headerAndLines(message, 10).toString()).toBe(message.toString());
  });

  it('treats a message without a blank line as all header, and one starting with one as header-less', () => {
    expect(headerAndLines(Buffer.from('A: 1\r\n'), 5).toString()).toBe('A: 1\r\n');
    expect(headerAndLines(Buffer.from('\r\nbody\r\nmore\r\n'), 1).toString()).toBe('\r\nbody\r\n');
  });
});
