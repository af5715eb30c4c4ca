import { createHash, randomBytes } from 'node:crypto';

/** `mr_live_` + 43 base64url characters (256 bits); the prefix makes leaked keys easy to scan for. */
export function generateApiKey(): string {
  return `mr_live_${randomBytes(32).toString('base64url')}`;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A password for SMTP credentials or mailboxes when the user did not choose one: 32 letters and
 * digits (190 bits). Only letters and digits, because people paste it into command lines and
 * config files, where a leading "-" reads as an option (swaks --auth-password -x...) and "_" or
 * "-" invite quoting mistakes.
 */
export function generatePassword(length = 32): string {
  let password = '';
  while (password.length < length) {
    for (const byte of randomBytes(length)) {
      // 248 = 4 * 62: bytes above it would favour the first letters, so they are drawn again.
      if (byte < 248 && password.length < length) password += ALPHANUMERIC[byte % 62];
    }
  }
  return password;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
