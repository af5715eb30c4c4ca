import { describe, expect, it } from 'vitest';
import { checkRecipientCommand, parseRecipientAddress } from './address-policy';
import { SmtpReply } from './smtp-reply';

describe('address policy', () => {
  it.each([
    'RCPT TO:<@relay.example:user@elsewhere.example>',
    'rcpt to: <@a.example,@b.example:user@elsewhere.example>',
    'RCPT TO:< @relay.example:user@shop.example>',
  ])('refuses the source route in %j', (line) => {
    expect(checkRecipientCommand(line)?.toString()).toMatch(/^550 5\.7\.1 Source routes/);
  });

  it('lets ordinary commands through', () => {
    expect(checkRecipientCommand('RCPT TO:<user@shop.example> NOTIFY=NEVER')).toBeNull();
    expect(checkRecipientCommand('RSET')).toBeNull();
  });

  it.each([
    ['user%elsewhere.example@shop.example', '550 5.7.1'],
    ['elsewhere.example!user@shop.example', '550 5.7.1'],
    ['"user"@shop.example', '550 5.7.1'],
    ['us\\er@shop.example', '550 5.7.1'],
    ['user@[192.0.2.1]', '550 5.7.1'],
    ['postmaster', '550 5.1.1'],
  ])('refuses %j with %s', (address, code) => {
    const result = parseRecipientAddress(address);
    expect(result).toBeInstanceOf(SmtpReply);
    expect(result.toString().startsWith(code)).toBe(true);
  });

  it('normalizes: lower-case local part for lookup, A-label domain', () => {
    expect(parseRecipientAddress('Support@Shop.Example.')).toEqual({ local: 'Support', domain: 'shop.example', normalized: 'support@shop.example' });
    expect(parseRecipientAddress('jürgen@bücher.example')).toMatchObject({ domain: 'xn--bcher-kva.example', normalized: 'jürgen@xn--bcher-kva.example' });
  });
});
