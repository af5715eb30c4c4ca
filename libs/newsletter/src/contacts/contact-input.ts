import { DomainError } from '@mailroom/common';
import type { ContactInput } from '@mailroom/db';
import { normalizeContactEmail } from './contact-email';

/** Most contacts one API request may upsert. */
export const MAX_CONTACTS_PER_REQUEST = 10_000;
/** A contact's attributes as JSON, at most. */
export const MAX_ATTRIBUTES_BYTES = 8192;

export interface GivenContact {
  email: string;
  attributes?: Record<string, unknown>;
}

/** Attributes a contact may carry: a JSON object of bounded size; why not, or null when fine. */
export function attributesProblem(attributes: unknown): string | null {
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) return 'must be an object';
  if (Buffer.byteLength(JSON.stringify(attributes)) > MAX_ATTRIBUTES_BYTES) return `must be at most ${MAX_ATTRIBUTES_BYTES} bytes as JSON`;
  return null;
}

/**
 * Validates and normalizes contacts given to the API: every address must be valid (the whole
 * request is refused otherwise, naming the first bad entries), and an address given twice is
 * one contact whose attributes merge in order.
 */
export function normalizeContacts(given: GivenContact[], field = 'contacts'): ContactInput[] {
  const errors: Array<{ index: number; email: string; reason: string }> = [];
  const byEmail = new Map<string, ContactInput>();
  given.forEach((item, index) => {
    const email = typeof item.email === 'string' ? normalizeContactEmail(item.email) : null;
    const problem = item.attributes === undefined ? null : attributesProblem(item.attributes);
    if (!email || problem) {
      errors.push({ index, email: String(item.email).slice(0, 320), reason: email ? `attributes ${problem}` : 'not a valid address' });
      return;
    }
    const seen = byEmail.get(email);
    if (seen) Object.assign(seen.attributes, item.attributes);
    else byEmail.set(email, { email, attributes: { ...item.attributes } });
  });
  if (errors.length) {
    const first = errors[0]!;
    throw new DomainError('invalid', first.reason === 'not a valid address' ? 'invalid_address' : 'invalid_attributes', `${field}[${first.index}]: "${first.email}" ${first.reason === 'not a valid address' ? 'is not a valid address' : `has ${first.reason}`}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`, {
      errors: errors.slice(0, 100),
    });
  }
  return [...byEmail.values()];
}
