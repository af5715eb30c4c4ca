import { ParseError, tokenText, type Token } from '../protocol/command-parser';

const SYSTEM = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

/** A flag list from a client: system flags in canonical case; \Recent and unknown \flags refused. */
export function parseFlagList(tokens: Token[]): string[] {
  return tokens.map((token) => {
    if (token.type !== 'atom') throw new ParseError('flags must be atoms');
    const value = tokenText(token, 'flag');
    if (value.startsWith('\\')) {
      const system = SYSTEM.find((f) => f.toLowerCase() === value.toLowerCase());
      if (!system) throw new ParseError(`${value.slice(0, 20)} cannot be set`);
      return system;
    }
    if (!/^[^(){%*"\\\]\x00-\x20\x7f-\xff]{1,128}$/.test(value)) throw new ParseError(`bad keyword ${value.slice(0, 20)}`);
    return value;
  });
}
