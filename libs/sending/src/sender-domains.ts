import { Injectable } from '@nestjs/common';
import { DomainError } from '@mailroom/common';
import { parseAddress, type MailAddress } from '@mailroom/compose';
import { DomainRepository } from '@mailroom/db';

type Domains = Awaited<ReturnType<DomainRepository['list']>>;
export type SenderDomain = Domains[number];

/** How long an account's domain list is reused: each relay transaction asks twice. */
const CACHE_MS = 5_000;
/** Past this many accounts the cache starts over rather than grow without bound. */
const MAX_ACCOUNTS = 10_000;

/**
 * Which of an account's domains an address may send from: a verified one. The account's domains
 * are read at most every few seconds, and again before saying no, so a domain added or verified a
 * moment ago works at once.
 */
@Injectable()
export class SenderDomains {
  private readonly cache = new Map<string, { domains: Promise<Domains>; until: number }>();

  constructor(private readonly domains: DomainRepository) {}

  /**
   * Whether `address` may be an envelope sender for the account: on one of its verified domains.
   * The relay asks at MAIL FROM, before the client sends the message.
   */
  async check(accountId: string, address: string, field: string): Promise<void> {
    await this.of(accountId, parseAddress(address, field), field);
  }

  /** The account's verified domain `address` is on, or the DomainError that says why it may not send. */
  async of(accountId: string, address: MailAddress, field: string): Promise<SenderDomain> {
    try {
      return senderDomain(await this.list(accountId), address, field);
    } catch (error) {
      // A domain added or verified a moment ago must work at once.
      if (error instanceof DomainError) return senderDomain(await this.list(accountId, true), address, field);
      throw error;
    }
  }

  private list(accountId: string, fresh = false): Promise<Domains> {
    const now = Date.now();
    let entry = this.cache.get(accountId);
    if (fresh || !entry || entry.until < now) {
      const domains = this.domains.list(accountId);
      domains.catch(() => this.cache.delete(accountId));
      entry = { domains, until: now + CACHE_MS };
      if (this.cache.size > MAX_ACCOUNTS) this.cache.clear();
      this.cache.set(accountId, entry);
    }
    return entry.domains;
  }
}

/** The account's verified domain an address is on, or the error that says why it may not send. */
function senderDomain(domains: Domains, address: MailAddress, field: string): SenderDomain {
  const domain = domains.find((d) => d.name === address.domain);
  if (!domain) {
    throw new DomainError('invalid', 'unknown_sender_domain', `${field}: ${address.domain} is not a domain of this account; add it with POST /v1/domains`, { field });
  }
  if (!domain.verifiedAt) {
    throw new DomainError('invalid', 'domain_not_verified', `${field}: ${address.domain} is not verified yet; publish its DNS records and call POST /v1/domains/${domain.id}/verify`, { field });
  }
  return domain;
}
