import { describe, expect, it } from 'vitest';
import { baseSubject } from './base-subject';

describe('baseSubject (RFC 5256 2.1)', () => {
  it.each([
    ['Hello', 'Hello', false],
    ['Re: Hello', 'Hello', true],
    ['RE: re:  Fwd:Hello  (fwd)', 'Hello', true],
    ['Re[2]: Hello', 'Hello', true],
    ['[list] Re: [list] Hello', 'Hello', true],
    ['[list] Hello', 'Hello', false],
    ['[only a blob]', '[only a blob]', false],
    ['[fwd: Re: Hello]', 'Hello', true],
    ['=?utf-8?q?Re=3A_R=C3=A9sum=C3=A9?=', 'Résumé', true],
    ['Hello\r\n\tworld', 'Hello world', false],
    ['Fw: the  \t  news', 'the news', true],
    ['', '', false],
  ])('%j -> %j', (input, expected, reply) => {
    expect(baseSubject(input)).toEqual({ subject: expected, reply });
  });
});
