import { describe, expect, it } from 'vitest';
import { isWellFormedText, storableJson, storableText } from './storable-text';

describe('storableText', () => {
  it('drops NUL and replaces lone surrogates, keeping pairs and everything else', () => {
    expect(storableText('a\0b\0')).toBe('ab');
    expect(storableText('x\uD800y\uDC00z')).toBe('x\uFFFDy\uFFFDz');
    expect(storableText('emoji \u{1F600} \t\r\n\x01 é')).toBe('emoji \u{1F600} \t\r\n\x01 é');
  });

  it('tells text with a lone surrogate from well-formed text', () => {
    expect([isWellFormedText('a\uD83D\uDE00'), isWellFormedText('a\uD800'), isWellFormedText('\uDC00a'), isWellFormedText('a\uD800')]).toEqual([true, false, false, false]);
  });

  it('cleans every string of a JSON value, keys too, and leaves other values alone', () => {
    expect(storableJson({ 'k\0': ['a\0', { b: 'c\uDFFF' }], n: 1, f: null, t: true })).toEqual({ k: ['a', { b: 'c\uFFFD' }], n: 1, f: null, t: true });
    expect(JSON.stringify(storableJson({ s: 'x\0' }))).not.toContain('\\u0000');
  });
});
