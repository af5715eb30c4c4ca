import { describe, expect, it } from 'vitest';
import { normalizeContactEmail } from './contact-email';

describe('normalizeContactEmail', () => {
  it('lower-cases and trims plain addresses', () => {
    expect(normalizeContactEmail('  Ann.Lee+news@Example.COM ')).toBe('ann.lee+news@example.com');
    expect(normalizeContactEmail("o'brien@mail.example.org")).toBe("o'brien@mail.example.org");
  });

  it('takes internationalized addresses, the domain as A-labels', () => {
    expect(normalizeContactEmail('José@Exämple.test')).toBe('josé@xn--exmple-cua.test');
  });

  it('refuses what is not one bare address', () => {
    for (const bad of ['', 'plain', '@example.com', 'a@', 'a@b', 'a@example.123', 'a b@example.com', 'Ann <ann@example.com>', 'a@example.com, b@example.com', 'a..b@example.com', '.a@example.com', 'a@-example.com', 'a@exa_mple.com', `${'x'.repeat(65)}@example.com`, 'a\u0000@example.com']) {
      expect(normalizeContactEmail(bad), JSON.stringify(bad)).toBeNull();
    }
  });
});
