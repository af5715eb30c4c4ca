import { describe, expect, it } from 'vitest';
import { toCrlf } from './line-endings';

const text = (raw: Buffer) => raw.toString('latin1');

describe('toCrlf', () => {
  it('turns bare LF into CRLF and leaves a bare CR unless asked', () => {
    const raw = Buffer.from('a\nb\rc\r\nd\r\r\n\n', 'latin1');
    expect(text(toCrlf(raw, { bareCr: false }))).toBe('a\r\nb\rc\r\nd\r\r\n\r\n');
    expect(text(toCrlf(raw, { bareCr: true }))).toBe('a\r\nb\r\nc\r\nd\r\n\r\n\r\n');
  });

  it('gives back the same buffer when nothing needs changing', () => {
    const crlf = Buffer.from('a\r\nb\r\n', 'latin1');
    expect(toCrlf(crlf, { bareCr: true })).toBe(crlf);
    const bareCr = Buffer.from('a\rb\r\n', 'latin1');
    expect(toCrlf(bareCr, { bareCr: false })).toBe(bareCr);
    expect(text(toCrlf(bareCr, { bareCr: true }))).toBe('a\r\nb\r\n');
  });

  it('handles line ends at the edges and bytes of every value', () => {
    expect(text(toCrlf(Buffer.from('\nx\r', 'latin1'), { bareCr: true }))).toBe('\r\nx\r\n');
    expect(text(toCrlf(Buffer.from('\nx\r', 'latin1'), { bareCr: false }))).toBe('\r\nx\r');
    const bytes = Buffer.from([0x00, 0xff, 0x0a, 0x80]);
    expect([...toCrlf(bytes, { bareCr: false })]).toEqual([0x00, 0xff, 0x0d, 0x0a, 0x80]);
  });
});
