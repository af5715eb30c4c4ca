import { describe, expect, it } from 'vitest';
import { Args, ParseError, literalBytes, parseCommand, tokenText } from './command-parser';

const frame = (...parts: Array<string | Buffer>) => ({
  kind: 'command' as const,
  segments: parts.filter((p): p is string => typeof p === 'string'),
  literals: parts.filter((p): p is Buffer => Buffer.isBuffer(p)),
});

describe('parseCommand', () => {
  it('reads tag, upper-cased name, atoms, quoted strings with escapes and nested lists', () => {
    expect(parseCommand(frame('A1 store 1:* +FLAGS.SILENT (\\Seen "a \\"b\\" \\\\c" (x))'))).toEqual({
      tag: 'A1',
      name: 'STORE',
      args: [
        { type: 'atom', value: '1:*' },
        { type: 'atom', value: '+FLAGS.SILENT' },
        { type: 'list', items: [{ type: 'atom', value: '\\Seen' }, { type: 'string', value: 'a "b" \\c' }, { type: 'list', items: [{ type: 'atom', value: 'x' }] }] },
      ],
    });
  });

  it('keeps a bracketed section with spaces and lists as one atom', () => {
    const parsed = parseCommand(frame('a FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (From "To")]<0.100> FLAGS)'));
    expect(parsed.args[1]).toEqual({
      type: 'list',
      items: [{ type: 'atom', value: 'UID' }, { type: 'atom', value: 'BODY.PEEK[HEADER.FIELDS (From "To")]<0.100>' }, { type: 'atom', value: 'FLAGS' }],
    });
  });

  it('puts literals where their markers were, also inside lists', () => {
    const parsed = parseCommand(frame('a LOGIN ', Buffer.from('us er'), ' (', Buffer.from('x'), ')'));
    expect(parsed.args).toEqual([
      { type: 'string', value: '', literal: Buffer.from('us er') },
      { type: 'list', items: [{ type: 'string', value: '', literal: Buffer.from('x') }] },
    ]);
  });

  it.each([
    ['', 'invalid tag'],
    ['a+b NOOP', 'invalid tag'],
    ['a', 'missing command'],
    ['a NOOP (x', 'missing ")"'],
    ['a NOOP x)', 'unexpected ")"'],
    ['a LOGIN "abc', 'unterminated quoted string'],
    ['a LOGIN "a\\b"', 'bad escape in quoted string'],
    ['a FETCH 1 BODY[TEXT', 'missing "]"'],
    [`a X ${'('.repeat(40)}`, 'lists nested too deeply'],
  ])('refuses %j: %s', (line, message) => {
    expect(() => parseCommand(frame(line))).toThrow(new ParseError(message));
  });
});

describe('Args', () => {
  it('checks what each command expects', () => {
    const args = new Args(parseCommand(frame('a X atom "str" NIL (l) 42')).args);
    expect(args.atom('a')).toBe('atom');
    expect(args.astring('s')).toBe('str');
    expect(args.nstring('n')).toBeNull();
    expect(args.list('l')).toEqual([{ type: 'atom', value: 'l' }]);
    expect(args.number('n')).toBe(42);
    expect(() => args.atom('more')).toThrow('missing more');
    expect(() => new Args([{ type: 'atom', value: 'x' }]).end()).toThrow('unexpected extra arguments');
  });
});

describe('strings with NUL, and the APPEND literal', () => {
  it('refuses a NUL in a quoted string or a literal read as text', () => {
    const quoted = parseCommand(frame('a SELECT "a\0b"'));
    expect(() => tokenText(quoted.args[0], 'folder name')).toThrow(/folder name contains a NUL/);
    const literal = parseCommand(frame('a SELECT ', Buffer.from('a\0b'), ''));
    expect(() => new Args(literal.args).astring('folder name')).toThrow(ParseError);
  });

  it('takes a message only from a literal, NULs and all', () => {
    const parsed = parseCommand(frame('a APPEND INBOX ', Buffer.from('x\0y'), ''));
    expect(literalBytes(parsed.args[1], 'the message')).toEqual(Buffer.from('x\0y'));
    for (const text of ['a APPEND INBOX hello', 'a APPEND INBOX "hello"', 'a APPEND INBOX NIL']) {
      expect(() => literalBytes(parseCommand(frame(text)).args[1], 'the message')).toThrow(/must be a literal/);
    }
    // A literal8 (RFC 3516) is APPEND's message; as any other argument it is refused.
    const binary = parseCommand(frame('a APPEND INBOX ~', Buffer.from('a\0c'), ''));
    expect(literalBytes(binary.args[1], 'the message')).toEqual(Buffer.from('a\0c'));
    expect(() => tokenText(parseCommand(frame('a LOGIN ~', Buffer.from('abc'), ' x')).args[0], 'user name')).toThrow(/literal8/);
    expect(() => parseCommand(frame('a APPEND INBOX x~', Buffer.from('abc'), ''))).toThrow(/literal8/);
  });
});
