import { describe, expect, it } from 'vitest';
import { parseAddress, parseAddresses } from './address';
import { addressesAnywhereIn } from './address-header';

const code = (input: string) => {
  try {
    parseAddress(input, 'to');
    return null;
  } catch (error) {
    return (error as { code: string }).code;
  }
};

/**
 * The API's address fields and the relay's envelope are read by libs/mime's strict reading, the
 * one the relay holds From: to, instead of nodemailer's addressparser, which took whatever it
 * could find an address in.
 */
describe('parseAddress', () => {
  it('reads a mailbox with or without a display name, keeping the local part and an A-label domain', () => {
    expect(parseAddress('Alice Smith <Alice@Ours.Test>', 'from')).toEqual({ address: 'Alice@ours.test', name: 'Alice Smith', domain: 'ours.test', international: false });
    expect(parseAddress(' "Smith, Alice" <a@ours.test> ', 'from').name).toBe('Smith, Alice');
    expect(parseAddress('a@ours.test (Alice)', 'from').name).toBe('Alice');
    expect(parseAddress('josé@exämple.test', 'to')).toMatchObject({ address: 'josé@xn--exmple-cua.test', international: true });
    expect(parseAddress('"a b"@ours.test', 'to').address).toBe('"a b"@ours.test');
  });

  // addressparser handed the encoded word on as the name, which was then encoded a second time.
  it('decodes an encoded display name', () => {
    expect(parseAddress('=?utf-8?q?Ren=C3=A9e?= <renee@ours.test>', 'from').name).toBe('Renée');
  });

  // Each of these was accepted, addressparser picking one address out of it.
  it.each([
    ['a@ours.test,', 'a trailing comma'],
    ['team: a@ours.test;', 'group syntax'],
    ['Alice <a@ours.test> bob', 'text after the angle address'],
    ['a b@ours.test', 'a display name without angle brackets'],
    ['<a@ours.test><b@ours.test>', 'two angle addresses'],
    ['Alice <a@ours.test', 'an unclosed angle'],
    ['a"b@ours.test', 'an unclosed quote'],
    ['a@ours.test (b@theirs.test)', 'a comment holding an address'],
  ])('refuses %s (%s)', (input) => {
    expect(code(input)).toBe('invalid_address');
  });

  it('refuses lists, controls and what is no address', () => {
    expect(code('a@ours.test, b@ours.test')).toBe('invalid_address');
    expect(code('a@ours.test\r\nBcc: x@y.test')).toBe('invalid_address');
    expect(code('not an address')).toBe('invalid_address');
    expect(code('a@[127.0.0.1]')).toBe('invalid_address');
  });

  it('reads a field of one address or a list, naming the entry that fails', () => {
    expect(parseAddresses(['a@ours.test', 'B <b@ours.test>'], 'to').map((a) => a.address)).toEqual(['a@ours.test', 'b@ours.test']);
    expect(parseAddresses(undefined, 'cc')).toEqual([]);
    expect(() => parseAddresses(['a@ours.test', 'broken'], 'to')).toThrow(/^to\[1\]: "broken" is not a valid address/);
  });
});

describe('addressesAnywhereIn', () => {
  // The API refuses a From it cannot read the strict way, but first checks every address some
  // reader could take from it, so that one naming another tenant's domain is refused as that.
  it('finds every valid address a refused From shows, skipping what is no address', () => {
    expect(addressesAnywhereIn('<app@ours.test> <ceo@theirs.test>, x@-bad.test', 'from').map((a) => a.address)).toEqual(['app@ours.test', 'ceo@theirs.test']);
  });
});
