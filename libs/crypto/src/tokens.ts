import { createHash, randomBytes } from 'node:crypto';

/** `mr_live_` + 43 base64url characters (256 bits); the prefix makes leaked keys easy to scan for. */
export function generateApiKey(): string {
  return `mr_live_${randomBytes(32).toString('base64url')}`;
}

/** A password for SMTP credentials or mailboxes when the user did not choose one. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
