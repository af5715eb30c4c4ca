/**
 * What went wrong, in terms every edge can translate: the API maps a kind to an HTTP status,
 * the SMTP app to a reply code, the IMAP app to NO/BAD. Libs and workers throw only these.
 */
export type ErrorKind =
  | 'invalid' // 400/422: the request is malformed or breaks a rule
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409
  | 'too_large' // 413
  | 'rate_limited' // 429
  | 'unavailable'; // 503: a dependency is down; retry later

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** Stable, machine-readable: `domain_not_verified`, `invalid_address`, ... */
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string): DomainError =>
  new DomainError('not_found', 'not_found', `${what} not found`);
