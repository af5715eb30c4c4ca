import type { DomainError, ErrorKind } from '@mailroom/common';

/**
 * The RFC 5530 response code of the NO a domain error becomes, by kind: a kind added to
 * ErrorKind does not compile until it has one here.
 */
export const RESPONSE_CODE: Record<ErrorKind, (error: DomainError) => string> = {
  not_found: () => 'NONEXISTENT',
  conflict: (error) => (error.code === 'folder_exists' ? 'ALREADYEXISTS' : 'CANNOT'),
  forbidden: () => 'CANNOT',
  invalid: () => 'CANNOT',
  too_large: () => 'TOOBIG',
  rate_limited: () => 'UNAVAILABLE',
  unavailable: () => 'UNAVAILABLE',
  unauthenticated: () => 'AUTHENTICATIONFAILED',
};
