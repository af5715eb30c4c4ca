import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A session's (or a mailed link's) secret: 256 random bits, base64url. Only its sha256Hex is stored, as for API keys. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The CSRF token that goes with a session: a hash of the session's secret (domain-separated from
 * the stored hash). The session cookie is HttpOnly, so a page on another site can neither read
 * it nor compute this; the dashboard gets it in the login and session answers and sends it back
 * in the X-CSRF-Token header of every write. Nothing to store, nothing to rotate apart.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`csrf\0${sessionToken}`).digest('base64url');
}

export function csrfMatches(sessionToken: string, given: string | undefined): boolean {
  if (!given) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
