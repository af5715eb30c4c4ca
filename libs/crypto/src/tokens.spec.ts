import { describe, expect, it } from 'vitest';
import { generateApiKey, generatePassword } from './tokens';

describe('generated secrets', () => {
  it('makes passwords of 32 letters and digits only, safe to paste after a command-line option', () => {
    const passwords = Array.from({ length: 2000 }, () => generatePassword());
    for (const password of passwords) expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(new Set(passwords).size).toBe(passwords.length);
    // Every character of the alphabet turns up: no letter is left out by the mapping.
    expect(new Set(passwords.join('')).size).toBe(62);
  });

  it('makes API keys with their scanning prefix', () => {
    expect(generateApiKey()).toMatch(/^mr_live_[A-Za-z0-9_-]{43}$/);
  });
});
