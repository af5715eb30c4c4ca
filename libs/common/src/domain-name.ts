import { domainToASCII } from 'node:url';
import { DomainError } from './domain-error';

/**
 * Lower-case A-label form of a domain (IDNs become xn--), or a clear error. Only real,
 * public-looking names: at least two labels, LDH labels of 1-63 characters, 253 in all.
 */
export function normalizeDomainName(input: string): string {
  const ascii = domainToASCII(input.trim().replace(/\.$/, '').toLowerCase());
  const labels = ascii.split('.');
  const valid =
    ascii.length > 0 &&
    ascii.length <= 253 &&
    labels.length >= 2 &&
    labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) &&
    !/^\d+$/.test(labels[labels.length - 1]);
  if (!valid) throw new DomainError('invalid', 'invalid_domain', `"${input}" is not a valid domain name`);
  return ascii;
}
