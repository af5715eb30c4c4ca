import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { DomainError, newId, notFound } from '@mailroom/common';
import { TemplateRenderer, parseAddress } from '@mailroom/compose';
import { ContactRepository, DomainRepository, ListRepository, type Consent, type ListFields, type ListRow, type ListWithCounts, type MembershipStatus, type UpsertedContact } from '@mailroom/db';
import { SendingService } from '@mailroom/sending';
import { MAX_CONTACTS_PER_REQUEST, normalizeContacts, type GivenContact } from '../contacts/contact-input';
import { ConfirmationMailer, DEFAULT_CONFIRM_SUBJECT, type ConfirmationOutcome } from '../opt-in/confirmation-mailer';
import { checkListIdHeader, defaultListIdHeader } from './list-id-header';
import { exportHeader, exportLine } from './list-export';

/** A list as the API takes it; `list_id_header` is derived when not given. */
export type ListInput = Partial<ListFields>;

export interface ListMemberResult extends UpsertedContact {
  /** The membership's state after the call. */
  membership: MembershipStatus;
  /** Double opt-in lists: whether a confirmation mail went out for this contact. */
  confirmation?: ConfirmationOutcome;
}

const EXPORT_PAGE = 2000;
const EXPORT_MAX_ATTRIBUTES = 200;

/** Lists: settings, members added and removed, and the CSV export. */
@Injectable()
export class ListsService {
  private readonly renderer = new TemplateRenderer(1);
  private readonly publicHost: string;

  constructor(
    private readonly lists: ListRepository,
    private readonly contacts: ContactRepository,
    private readonly domains: DomainRepository,
    private readonly sending: SendingService,
    private readonly mailer: ConfirmationMailer,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.publicHost = new URL(config.PUBLIC_URL).hostname;
  }

  async create(accountId: string, input: ListInput & { name: string }): Promise<ListRow> {
    const fields = await this.check(accountId, {
      name: input.name,
      description: input.description ?? '',
      opt_in: input.opt_in ?? 'single',
      list_id_header: input.list_id_header ?? '',
      form_enabled: input.form_enabled ?? false,
      confirm_from: input.confirm_from ?? null,
      confirm_subject: input.confirm_subject ?? null,
      confirm_html: input.confirm_html ?? null,
      confirm_text: input.confirm_text ?? null,
    });
    const id = newId();
    const header = fields.list_id_header || defaultListIdHeader(fields.name, id, await this.namespace(accountId, fields.confirm_from));
    return this.lists.create(accountId, { ...fields, list_id_header: header }, id);
  }

  list(accountId: string): Promise<ListWithCounts[]> {
    return this.lists.list(accountId);
  }

  async get(accountId: string, id: string): Promise<ListWithCounts> {
    const list = await this.lists.findWithCounts(accountId, id);
    if (!list) throw notFound('list');
    return list;
  }

  async update(accountId: string, id: string, change: ListInput): Promise<ListRow> {
    const current = await this.lists.find(accountId, id);
    if (!current) throw notFound('list');
    const merged = await this.check(accountId, { ...pickFields(current), ...definedOnly(change) });
    const updated = await this.lists.update(accountId, id, { ...definedOnly(change), ...(change.list_id_header !== undefined ? { list_id_header: merged.list_id_header || current.list_id_header } : {}) });
    if (!updated) throw notFound('list');
    return updated;
  }

  async delete(accountId: string, id: string): Promise<void> {
    if (!(await this.lists.delete(accountId, id))) throw notFound('list');
  }

  /**
   * Upserts the contacts and puts them on the list: subscribed on a single opt-in list;
   * unconfirmed on a double opt-in list, with a confirmation mail to each contact that is not
   * yet subscribed. Members who unsubscribed stay unsubscribed.
   */
  async addContacts(accountId: string, listId: string, given: GivenContact[], consent: Consent): Promise<ListMemberResult[]> {
    if (given.length > MAX_CONTACTS_PER_REQUEST) throw new DomainError('invalid', 'too_many_contacts', `at most ${MAX_CONTACTS_PER_REQUEST} contacts per request (got ${given.length})`);
    const list = await this.lists.find(accountId, listId);
    if (!list) throw notFound('list');
    const inputs = normalizeContacts(given);
    const upserted = await this.contacts.upsert(accountId, inputs, consent);
    const joined = await this.lists.join(list.id, upserted.map((c) => c.id), list.opt_in === 'double' ? 'unconfirmed' : 'subscribed');
    const status = new Map(joined.map((m) => [m.contact_id, m.status]));
    const results: ListMemberResult[] = upserted.map((c) => ({ ...c, membership: status.get(c.id)! }));
    if (list.opt_in === 'double') {
      const attributes = new Map(inputs.map((i) => [i.email, i.attributes]));
      const pending = results.filter((r) => r.membership === 'unconfirmed' && !r.suppressed);
      const sent = await this.mailer.send(list, pending.map((r) => ({ id: r.id, email: r.email, attributes: attributes.get(r.email) })));
      for (const r of results) if (r.membership === 'unconfirmed') r.confirmation = r.suppressed ? 'suppressed' : (sent.get(r.id) ?? 'not_sent');
    }
    return results;
  }

  /** Takes the contact off the list (the contact stays). */
  async removeContact(accountId: string, listId: string, email: string): Promise<void> {
    const normalized = email.trim().toLowerCase();
    if (!(await this.lists.find(accountId, listId))) throw notFound('list');
    if (!(await this.lists.leave(accountId, listId, normalized))) throw notFound('list member');
  }

  /**
   * The list's members as CSV, a page at a time in membership order (keyset over the primary
   * key): memory stays flat however long the list, and a slow reader pauses the reads. Columns:
   * email, membership and contact state, dates, then one per attribute name the members use.
   */
  async *exportCsv(accountId: string, listId: string): AsyncGenerator<string> {
    if (!(await this.lists.find(accountId, listId))) throw notFound('list');
    const keys = await this.lists.attributeKeys(listId, EXPORT_MAX_ATTRIBUTES);
    yield exportHeader(keys);
    let after: string | null = null;
    for (;;) {
      const rows = await this.lists.exportPage(listId, after, EXPORT_PAGE);
      if (!rows.length) return;
      yield rows.map((row) => exportLine(row, keys)).join('');
      if (rows.length < EXPORT_PAGE) return;
      after = rows[rows.length - 1]!.contact_id;
    }
  }

  /** Validates a list's settings as a whole, returning them normalized. */
  private async check(accountId: string, fields: ListFields): Promise<ListFields> {
    if (!fields.name.trim()) throw new DomainError('invalid', 'invalid_name', 'name: must not be empty');
    if (fields.list_id_header) fields.list_id_header = checkListIdHeader(fields.list_id_header);
    if (fields.confirm_from) {
      const address = parseAddress(fields.confirm_from, 'confirm_from');
      await this.sending.checkSender(accountId, fields.confirm_from, 'confirm_from');
      if (!address.address) throw new DomainError('invalid', 'invalid_address', 'confirm_from: not an address');
    }
    if (fields.opt_in === 'double' && !fields.confirm_from) {
      throw new DomainError('invalid', 'confirm_from_required', 'confirm_from: a double opt-in list sends its confirmation mail from an address on a verified domain of the account');
    }
    const problem = this.renderer.check({ subject: fields.confirm_subject || DEFAULT_CONFIRM_SUBJECT, html: fields.confirm_html, text: fields.confirm_text });
    if (problem) throw new DomainError('invalid', 'invalid_template', `the confirmation mail does not compile: ${problem}`);
    for (const part of ['confirm_html', 'confirm_text'] as const) {
      if (fields[part] && !/\{\{\{?\s*confirm_url\s*\}?\}\}/.test(fields[part]!)) {
        throw new DomainError('invalid', 'confirm_url_missing', `${part}: must contain {{confirm_url}}, the link that confirms`);
      }
    }
    return fields;
  }

  /** The List-Id namespace: the confirmation sender's domain, else a verified domain of the account, else PUBLIC_URL's host. */
  private async namespace(accountId: string, confirmFrom: string | null): Promise<string> {
    if (confirmFrom) return parseAddress(confirmFrom, 'confirm_from').domain;
    const domains = await this.domains.list(accountId);
    const verified = domains.find((d) => d.verifiedAt) ?? domains.find((d) => d.ownedAt);
    return verified?.name ?? this.publicHost;
  }
}

function pickFields(row: ListRow): ListFields {
  return {
    name: row.name,
    description: row.description,
    opt_in: row.opt_in,
    list_id_header: row.list_id_header,
    form_enabled: row.form_enabled,
    confirm_from: row.confirm_from,
    confirm_subject: row.confirm_subject,
    confirm_html: row.confirm_html,
    confirm_text: row.confirm_text,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
