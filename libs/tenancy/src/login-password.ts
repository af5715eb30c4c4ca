import { DomainError } from '@mailroom/common';

export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 256;

/** The one rule for every password a person chooses: relay logins and mailboxes alike. */
export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw new DomainError('invalid', 'weak_password', `password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`);
  }
}
