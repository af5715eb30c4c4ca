import { Injectable } from '@nestjs/common';
import { DomainError, notFound } from '@mailroom/common';
import { ContactRepository, type Consent, type ContactFilter, type ContactMembershipRow, type ContactMessageRow, type ContactRow, type ContactStatus, type UpsertedContact } from '@mailroom/db';
import { MAX_CONTACTS_PER_REQUEST, attributesProblem, normalizeContacts, type GivenContact } from './contact-input';

export interface ContactDetail {
  contact: ContactRow;
  memberships: ContactMembershipRow[];
  messages: ContactMessageRow[];
}

export interface ContactPage {
  contacts: ContactRow[];
  nextCursor: string | null;
}

/** How many of its messages a contact's page shows, newest first. */
const MESSAGES_SHOWN = 100;

/** A page cursor: the (created_at, id) of the page's last contact, opaque to clients. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(createdAt.getTime())) throw new DomainError('invalid', 'invalid_cursor', 'cursor: not a cursor this API returned');
  return { createdAt, id };
}

/** Contacts of an account: upserts by address, listing, reading with history, changes, erasure. */
@Injectable()
export class ContactsService {
  constructor(private readonly contacts: ContactRepository) {}

  /**
   * Upserts up to 10,000 contacts in one statement. Existing contacts get the given attributes
   * merged in (their status and consent stay); new ones record `consent`. Suppressed addresses
   * are stored like any other and flagged.
   */
  async upsert(accountId: string, given: GivenContact[], consent: Consent): Promise<UpsertedContact[]> {
    if (given.length > MAX_CONTACTS_PER_REQUEST) throw new DomainError('invalid', 'too_many_contacts', `at most ${MAX_CONTACTS_PER_REQUEST} contacts per request (got ${given.length})`);
    return this.contacts.upsert(accountId, normalizeContacts(given), consent);
  }

  async list(accountId: string, query: Omit<ContactFilter, 'after'> & { cursor?: string }): Promise<ContactPage> {
    const { cursor, ...filter } = query;
    const rows = await this.contacts.list(accountId, { ...filter, ...(cursor ? { after: decodeCursor(cursor) } : {}) });
    const last = rows[rows.length - 1];
    return { contacts: rows, nextCursor: rows.length === query.limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  async get(accountId: string, id: string): Promise<ContactDetail> {
    const contact = await this.contacts.find(accountId, id);
    if (!contact) throw notFound('contact');
    const [memberships, messages] = await Promise.all([this.contacts.memberships(accountId, id), this.contacts.messages(accountId, id, MESSAGES_SHOWN)]);
    return { contact, memberships, messages };
  }

  async update(accountId: string, id: string, change: { attributes?: Record<string, unknown>; status?: ContactStatus }): Promise<ContactRow> {
    const problem = change.attributes === undefined ? null : attributesProblem(change.attributes);
    if (problem) throw new DomainError('invalid', 'invalid_attributes', `attributes ${problem}`);
    const updated = await this.contacts.update(accountId, id, change);
    if (updated) return updated;
    const existing = await this.contacts.find(accountId, id);
    if (existing?.erased_at) throw new DomainError('conflict', 'contact_erased', 'the contact was erased; its data cannot change');
    throw notFound('contact');
  }

  /** Removes the contact's personal data for good (see ContactRepository.erase); repeating it is harmless. */
  async erase(accountId: string, id: string): Promise<ContactRow> {
    const erased = await this.contacts.erase(accountId, id);
    if (!erased) throw notFound('contact');
    return erased;
  }
}
