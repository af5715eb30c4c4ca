import { parseAddress } from '@mailroom/compose';

// Plain ASCII addresses, lower-cased: the common case, checked without the general parser
// because an import checks a million of them. Labels are LDH, 1-63 characters; the top-level
// label is not all digits.
const ASCII_ADDRESS =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?=[a-z0-9-]*[a-z-])[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const SURELY_BAD = /[\s<>(),;:\\"[\]\u0000-\u001f\u007f]/;

/**
 * A contact's address in the form it is stored and matched in: one bare address (no display
 * name), lower-cased, the domain in A-label form. Null when the input is not one valid address.
 * Internationalized addresses go through the general parser (libs/compose) and keep their
 * UTF-8 local part, lower-cased.
 */
export function normalizeContactEmail(input: string): string | null {
  const value = input.trim().toLowerCase();
  if (value.length < 3 || value.length > 254) return null;
  if (ASCII_ADDRESS.test(value)) {
    const at = value.lastIndexOf('@');
    return at <= 64 && value.length - at - 1 <= 253 ? value : null;
  }
  if (SURELY_BAD.test(value) || !/[^\x00-\x7f]/.test(value)) return null;
  try {
    const parsed = parseAddress(value, 'email');
    return parsed.name === undefined && !parsed.address.includes('"') ? parsed.address.toLowerCase() : null;
  } catch {
    return null;
  }
}
