import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { DomainError, notFound } from '@mailroom/common';
import { ContactRepository, ListRepository, Sql, type ListRow, type MembershipStatus } from '@mailroom/db';
import { RedisConnection } from '@mailroom/platform';
import { HourlyQuota, loginSource } from '@mailroom/ratelimit';
import { normalizeContactEmail } from '../contacts/contact-email';
import { ConfirmationMailer } from './confirmation-mailer';
import { OptInTokens } from './opt-in-tokens';

export interface FormRequester {
  ip: string | null;
  userAgent: string | null;
}

export type FormOutcome = 'subscribed' | 'confirmation_sent';

export type ConfirmOutcome =
  | { ok: true; list: ListRow; status: MembershipStatus; changed: boolean }
  | { ok: false; reason: 'invalid' | 'expired' | 'gone'; list?: ListRow };

/** Confirmation mails one address may be sent per list and hour through the public form. */
const CONFIRMATIONS_PER_ADDRESS_HOUR = 3;
const NAME_MAX = 200;

/**
 * What the public sees of a list: its subscription form and the double opt-in confirmation.
 * Neither needs an API key; the form names the list by its (unguessable) id and exists only when
 * the list enables it, and a confirmation needs a link signed by this installation.
 */
@Injectable()
export class SubscriptionService {
  private readonly perAddress: HourlyQuota;
  private readonly perClient: HourlyQuota;
  private readonly clientLimit: number;

  constructor(
    private readonly lists: ListRepository,
    private readonly contacts: ContactRepository,
    private readonly mailer: ConfirmationMailer,
    private readonly tokens: OptInTokens,
    private readonly sql: Sql,
    redis: RedisConnection,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.perAddress = new HourlyQuota(redis.client, redis.key('opt-in'));
    this.perClient = new HourlyQuota(redis.client, redis.key('subscribe'));
    this.clientLimit = config.SUBSCRIBE_RATE_LIMIT;
  }

  /**
   * A post to a list's public form, as the form sends it: counted against the client's hourly
   * allowance (SUBSCRIBE_RATE_LIMIT per IP, an IPv6 /64 counting as one) before anything else; a
   * filled-in honeypot field (`website`, hidden from people) gets the answer a person would,
   * and nothing is stored or sent.
   */
  async submit(listId: string, fields: { email?: string; name?: string; website?: string }, from: FormRequester): Promise<{ list: ListRow; outcome: FormOutcome }> {
    if (from.ip) {
      const taken = await this.perClient.take(loginSource(from.ip), 1, this.clientLimit).catch(() => ({ ok: true, resetsInSeconds: 0 }));
      if (!taken.ok) throw new DomainError('rate_limited', 'rate_limited', `too many subscriptions from your network; try again in ${Math.ceil(taken.resetsInSeconds / 60)} minutes`);
    }
    const list = await this.formList(listId);
    if (fields.website) return { list, outcome: list.opt_in === 'double' ? 'confirmation_sent' : 'subscribed' };
    return { list, outcome: await this.subscribe(list, { email: fields.email ?? '', name: fields.name }, from) };
  }

  /** The list behind a public form, or not found when it has none. */
  async formList(listId: string): Promise<ListRow> {
    const list = /^[0-9a-f-]{36}$/i.test(listId) ? await this.lists.findPublic(listId) : null;
    if (!list || !list.form_enabled) throw notFound('subscription form');
    return list;
  }

  /**
   * A form post: the contact is added (its existing attributes kept; consent recorded with the
   * requester's IP and user agent) and subscribed at once on a single opt-in list; on a double
   * opt-in list it stays unconfirmed and gets the confirmation mail (at most a few per address and
   * hour, so the form cannot be used to flood someone's mailbox). A person who unsubscribed may
   * subscribe again this way: it is their own request.
   */
  async subscribe(list: ListRow, input: { email: string; name?: string }, from: FormRequester): Promise<FormOutcome> {
    const email = normalizeContactEmail(input.email ?? '');
    if (!email) throw new DomainError('invalid', 'invalid_address', 'email: please enter a valid email address');
    const name = input.name?.trim().slice(0, NAME_MAX);
    const [contact] = await this.contacts.upsert(
      list.account_id,
      [{ email, attributes: name ? { name } : {} }],
      { method: 'form', ip: from.ip, userAgent: from.userAgent },
      { existingWins: true },
    );
    const double = list.opt_in === 'double';
    const [member] = await this.lists.join(list.id, [contact!.id], double ? 'unconfirmed' : 'subscribed', { rejoin: true });
    if (!double || member!.status === 'subscribed') return 'subscribed';
    // Answered the same whether or not the mail goes out: the form tells nobody whether an
    // address is suppressed or was asked already.
    const allowed = await this.perAddress.take(`${list.id}:${email}`, 1, CONFIRMATIONS_PER_ADDRESS_HOUR).catch(() => ({ ok: true }));
    if (allowed.ok && !contact!.suppressed) await this.mailer.send(list, [{ id: contact!.id, email, attributes: name ? { name } : {} }]);
    return 'confirmation_sent';
  }

  /** What a confirmation link points at, without changing anything (GET: link scanners follow links). */
  async inspect(token: string): Promise<ConfirmOutcome> {
    const checked = this.tokens.check(token);
    if (!checked.ok) return checked;
    const list = await this.lists.findPublic(checked.listId);
    if (!list) return { ok: false, reason: 'gone' };
    const membership = await this.lists.membership(checked.listId, checked.contactId);
    if (!membership) return { ok: false, reason: 'gone', list };
    return { ok: true, list, status: membership.status, changed: false };
  }

  /**
   * Confirms: the membership becomes subscribed with the time and IP of the confirmation, and the
   * contact's consent record becomes this confirmation (time, IP, user agent), in one transaction.
   */
  async confirm(token: string, from: FormRequester): Promise<ConfirmOutcome> {
    const checked = this.tokens.check(token);
    if (!checked.ok) return checked;
    const list = await this.lists.findPublic(checked.listId);
    if (!list) return { ok: false, reason: 'gone' };
    return this.sql.transaction(async (tx) => {
      const result = await this.lists.confirm(list.id, checked.contactId, from.ip, tx);
      if (!result) return { ok: false, reason: 'gone', list } as const;
      if (result.changed) await this.contacts.recordConfirmation(list.account_id, checked.contactId, from.ip, from.userAgent, tx);
      return { ok: true, list, status: result.status, changed: result.changed } as const;
    });
  }
}
