import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, newId, notFound } from '@mailroom/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { Secrets } from '@mailroom/crypto';
import { DomainRepository, MailboxRepository, type DomainWithKeys } from '@mailroom/db';
import { dkimRecordValue, generateDkimKeys } from '@mailroom/dkim';
import { DnsResolver } from '@mailroom/dns';
import { normalizeDomainName } from '@mailroom/common';

export type DnsRecordPurpose = 'dkim' | 'spf' | 'dmarc' | 'return_path' | 'ownership';

export interface DnsRecord {
  purpose: DnsRecordPurpose;
  type: 'TXT' | 'MX';
  name: string;
  value: string;
  /** For MX records. */
  priority?: number;
}

export type RecordState = 'verified' | 'missing' | 'mismatch';

export interface DomainView {
  id: string;
  account_id: string;
  name: string;
  return_path_domain: string;
  /** Ready to send: ownership proven, DKIM, SPF and the return path's MX published. */
  verified: boolean;
  verification: { ownership: boolean; dkim: boolean; spf: boolean; dmarc: boolean; return_path: boolean; last_checked_at: Date | null };
  /**
   * Until `verified_at`, the name is only added: it receives no mail, blocks nobody, and the
   * registration is removed at `expires_at`. Proven by `record`, or by one of the DKIM records.
   */
  ownership: { verified_at: Date | null; expires_at: Date | null; record: DnsRecord };
  dkim: Array<{ selector: string; algorithm: string }>;
  catch_all_mailbox_id: string | null;
  bounce_mailbox_id: string | null;
  dns: DnsRecord[];
  created_at: Date;
}

/** The return-path (VERP) domain: a subdomain whose MX points at Mailroom's inbound MTA. */
export const RETURN_PATH_LABEL = 'mr-bounces';

/** Where the ownership TXT record goes: `_mailroom.<domain>`. */
export const OWNERSHIP_LABEL = '_mailroom';
const OWNERSHIP_PREFIX = 'mailroom-verification=';

/** How long a registration has to prove its ownership before it is removed. */
export const PENDING_DOMAIN_DAYS = 7;

type CheckedRecord = DnsRecord & { state: RecordState; found: string[] };

@Injectable()
export class DomainService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly domains: DomainRepository,
    private readonly mailboxes: MailboxRepository,
    private readonly secrets: Secrets,
    private readonly dns: DnsResolver,
  ) {}

  /**
   * Adds a name to the account. Anyone may add a name nobody owns yet: the registration stays
   * pending (no mail in, none out) until verify() finds its proof of ownership in DNS, and is
   * removed after PENDING_DOMAIN_DAYS. A name, or a name under one, that another account owns
   * is refused; so are the installation's own names.
   */
  async create(accountId: string, rawName: string, by: { operator?: boolean } = {}): Promise<DomainView> {
    const name = normalizeDomainName(rawName);
    this.refuseReserved(name, by.operator === true);
    await this.domains.purgeExpired();
    await this.refuseOwnedElsewhere(accountId, name);
    const box = this.secrets.box('dkim-keys');
    const keys = (await generateDkimKeys()).map((k) => ({
      id: newId(),
      selector: k.selector,
      algorithm: k.algorithm,
      publicKey: k.publicKey,
      privateKeyEncrypted: box.seal(k.privateKeyPem),
    }));
    try {
      const domain = await this.domains.create({
        id: newId(),
        accountId,
        name,
        returnPathDomain: `${RETURN_PATH_LABEL}.${name}`,
        keys,
        ownershipToken: randomBytes(16).toString('hex'),
        expiresAt: new Date(Date.now() + PENDING_DOMAIN_DAYS * 86_400_000),
      });
      return this.describe(domain);
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') {
        throw new DomainError('conflict', 'domain_exists', `${name} is already a domain of this account`);
      }
      throw error;
    }
  }

  async get(accountId: string, domainId: string): Promise<DomainView> {
    return this.describe(await this.load(accountId, domainId));
  }

  async getByName(accountId: string, name: string): Promise<DomainView> {
    const domain = await this.domains.findByName(accountId, normalizeDomainName(name));
    if (!domain) throw notFound('domain');
    return this.describe(domain);
  }

  /**
   * Operator tools only (the CLI): the domain by that name whatever account holds it: its owner,
   * or the one account that added it; several pending registrations need an account to choose.
   */
  async getAnyByName(name: string): Promise<DomainView> {
    const [first, ...others] = await this.domains.findAllByName(normalizeDomainName(name));
    if (!first) throw notFound('domain');
    if (!first.ownedAt && others.length) {
      throw new DomainError('conflict', 'ambiguous_domain', `${first.name} is added by ${others.length + 1} accounts and owned by none; name one with --account <id>`);
    }
    return this.describe(first);
  }

  async list(accountId: string): Promise<DomainView[]> {
    return (await this.domains.list(accountId)).map((d) => this.describe(d));
  }

  /**
   * Looks every record up in DNS and reports each one's state; stores the outcome. The first
   * check that finds the ownership TXT record, or one of the domain's DKIM keys (made for this
   * registration alone, so only whoever runs the domain's DNS can publish it), makes the account
   * the name's owner for good: a record removed later does not take the name away.
   */
  async verify(accountId: string, domainId: string): Promise<Omit<DomainView, 'ownership'> & { ownership: DomainView['ownership'] & { record: CheckedRecord }; records: CheckedRecord[] }> {
    const domain = await this.load(accountId, domainId);
    const [records, ownershipRecord] = await Promise.all([Promise.all(this.dnsRecords(domain).map((record) => this.check(record))), this.check(this.ownershipRecord(domain))]);
    const ok = (purpose: DnsRecordPurpose) => records.filter((r) => r.purpose === purpose).every((r) => r.state === 'verified');
    const proven = ownershipRecord.state === 'verified' || records.some((r) => r.purpose === 'dkim' && r.state === 'verified');
    let owned = domain.ownedAt !== null;
    if (!owned && proven) {
      // MAIL_HOSTNAME may have changed since the name was added. A parent of it passed the
      // operator's gate when it was added, and is proven in DNS now: only the host's own names
      // stay refused here.
      this.refuseReserved(domain.name, true);
      const { conflict } = await this.domains.claimOwnership(accountId, domainId, domain.name, parentsOf(domain.name));
      if (conflict) throw ownedElsewhere(domain.name, conflict);
      owned = true;
    }
    const saved = await this.domains.saveVerification(
      accountId,
      domainId,
      { dkimVerified: ok('dkim'), spfVerified: ok('spf'), dmarcVerified: ok('dmarc'), returnPathVerified: ok('return_path') },
      owned,
    );
    const view = this.describe(saved);
    return { ...view, ownership: { ...view.ownership, record: ownershipRecord }, records };
  }

  /** The TXT record that proves the account runs the domain's DNS. */
  ownershipRecord(domain: Pick<DomainWithKeys, 'name' | 'ownershipToken'>): DnsRecord {
    return { purpose: 'ownership', type: 'TXT', name: `${OWNERSHIP_LABEL}.${domain.name}`, value: `${OWNERSHIP_PREFIX}${domain.ownershipToken}` };
  }

  /** The records to publish: one DKIM TXT per key, SPF and MX on the return-path domain, DMARC. */
  dnsRecords(domain: DomainWithKeys): DnsRecord[] {
    const host = this.config.MAIL_HOSTNAME;
    return [
      ...domain.dkimKeys.map<DnsRecord>((key) => ({
        purpose: 'dkim',
        type: 'TXT',
        name: `${key.selector}._domainkey.${domain.name}`,
        value: dkimRecordValue(key.algorithm, key.publicKey),
      })),
      { purpose: 'spf', type: 'TXT', name: domain.returnPathDomain, value: `v=spf1 a:${host} mx ~all` },
      { purpose: 'return_path', type: 'MX', name: domain.returnPathDomain, value: host, priority: 10 },
      { purpose: 'dmarc', type: 'TXT', name: `_dmarc.${domain.name}`, value: 'v=DMARC1; p=none; adkim=r; aspf=r' },
    ];
  }

  /**
   * Points the domain's catch-all (mail for unknown local parts) and its bounce mailbox (where
   * raw DSN and ARF reports are filed, folder Bounces) at mailboxes of this domain; null clears.
   */
  async setRouting(accountId: string, domainId: string, routing: { catchAllMailboxId?: string | null; bounceMailboxId?: string | null }): Promise<DomainView> {
    await this.load(accountId, domainId);
    for (const [field, mailboxId] of Object.entries(routing)) {
      if (!mailboxId) continue;
      const mailbox = await this.mailboxes.find(accountId, mailboxId);
      if (!mailbox || mailbox.domainId !== domainId) {
        const name = field === 'catchAllMailboxId' ? 'catch_all_mailbox_id' : 'bounce_mailbox_id';
        throw new DomainError('invalid', 'invalid_mailbox', `${name}: no mailbox ${mailboxId} on this domain`);
      }
    }
    const domain = await this.domains.saveRouting(accountId, domainId, routing);
    if (!domain) throw notFound('domain');
    return this.describe(domain);
  }

  describe(domain: DomainWithKeys): DomainView {
    return {
      id: domain.id,
      account_id: domain.accountId,
      name: domain.name,
      return_path_domain: domain.returnPathDomain,
      verified: domain.verifiedAt !== null,
      verification: {
        ownership: domain.ownedAt !== null,
        dkim: domain.dkimVerified,
        spf: domain.spfVerified,
        dmarc: domain.dmarcVerified,
        return_path: domain.returnPathVerified,
        last_checked_at: domain.lastCheckedAt,
      },
      dkim: domain.dkimKeys.map((k) => ({ selector: k.selector, algorithm: k.algorithm })),
      catch_all_mailbox_id: domain.catchAllMailboxId,
      bounce_mailbox_id: domain.bounceMailboxId,
      dns: this.dnsRecords(domain),
      ownership: { verified_at: domain.ownedAt, expires_at: domain.expiresAt, record: this.ownershipRecord(domain) },
      created_at: domain.createdAt,
    };
  }

  /**
   * The installation's own names are nobody's: MAIL_HOSTNAME and the names under it (its
   * banner, its certificate, its postmaster), the parents of MAIL_HOSTNAME (the operator's
   * domain), and every return-path name (mr-bounces.*), under which VERP tokens route bounces.
   * The operator (an admin key, the CLI) may add a parent of MAIL_HOSTNAME to an account: a host
   * `mail.acme.com` usually sends for `acme.com`, and the operator is who that domain belongs to.
   * It still has to prove ownership in DNS like any other.
   */
  private refuseReserved(name: string, operator: boolean): void {
    if (name.split('.').includes(RETURN_PATH_LABEL)) {
      throw new DomainError('invalid', 'reserved_name', `${RETURN_PATH_LABEL}.* names are reserved for return paths; add the domain itself`);
    }
    const host = this.config.MAIL_HOSTNAME.toLowerCase().replace(/\.$/, '');
    if (name === host || name.endsWith(`.${host}`)) {
      throw new DomainError('invalid', 'reserved_name', `${name} is reserved: it is, or is under, this installation's host name ${host}`);
    }
    if (host.endsWith(`.${name}`) && !operator) {
      throw new DomainError('invalid', 'reserved_name', `${name} is reserved: it is a parent of this installation's host name ${host}; the operator can add it with an admin key or the CLI`);
    }
  }

  private async refuseOwnedElsewhere(accountId: string, name: string): Promise<void> {
    const owned = await this.domains.ownedElsewhere(accountId, [name, ...parentsOf(name)]);
    if (owned.length) throw ownedElsewhere(name, owned.some((d) => d.name === name) ? name : owned[0].name);
  }

  private async load(accountId: string, domainId: string): Promise<DomainWithKeys> {
    const domain = await this.domains.find(accountId, domainId);
    if (!domain) throw notFound('domain');
    return domain;
  }

  /**
   * A lookup that failed (timeout, SERVFAIL, refused) says nothing about the record: verification
   * stops with 503 and changes nothing, so a DNS hiccup never unverifies a sending domain.
   */
  private async lookup<T>(name: string, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'error';
      throw new DomainError('unavailable', 'dns_lookup_failed', `could not look up ${name} in DNS (${code}); nothing was changed, try again`, { name, dns_error: code });
    }
  }

  private async check(record: DnsRecord): Promise<CheckedRecord> {
    if (record.type === 'MX') {
      const found = (await this.lookup(record.name, () => this.dns.mx(record.name))).map((mx) => mx.exchange.toLowerCase().replace(/\.$/, ''));
      const state: RecordState = found.includes(record.value.toLowerCase()) ? 'verified' : found.length ? 'mismatch' : 'missing';
      return { ...record, state, found };
    }
    const all = await this.lookup(record.name, () => this.dns.txt(record.name));
    if (record.purpose === 'ownership') {
      // Other accounts' tokens may sit beside ours (they added the name too): ours is what counts.
      const found = all.filter((txt) => txt.trim().toLowerCase().startsWith(OWNERSHIP_PREFIX));
      const state: RecordState = found.some((txt) => txt.trim().toLowerCase() === record.value) ? 'verified' : found.length ? 'mismatch' : 'missing';
      return { ...record, state, found };
    }
    const kind = record.value.split(';')[0].split(' ')[0]; // v=DKIM1, v=spf1, v=DMARC1
    const found = all.filter((txt) => txt.toLowerCase().startsWith(kind.toLowerCase()));
    let state: RecordState = found.length ? 'mismatch' : 'missing';
    if (record.purpose === 'dkim') {
      const wanted = dkimKey(record.value);
      if (found.some((txt) => dkimKey(txt) === wanted)) state = 'verified';
    } else if (record.purpose === 'spf') {
      // Any SPF record that authorizes our host counts: users merge ours into records they have.
      const host = this.config.MAIL_HOSTNAME.toLowerCase();
      if (found.some((txt) => txt.toLowerCase().split(/\s+/).some((m) => m === `a:${host}` || m === 'mx' || m.startsWith('include:')))) state = 'verified';
    } else if (found.length === 1) {
      state = 'verified'; // any single DMARC policy is a policy
    }
    return { ...record, state, found };
  }
}

/** mail.shop.example -> [shop.example]: the parents that could be someone's domain (two labels or more). */
function parentsOf(name: string): string[] {
  const labels = name.split('.');
  const parents: string[] = [];
  for (let i = 1; i < labels.length - 1; i++) parents.push(labels.slice(i).join('.'));
  return parents;
}

function ownedElsewhere(name: string, owned: string): DomainError {
  if (owned === name) {
    return new DomainError('conflict', 'domain_exists', `${name} is verified by another account; ask its owner, or your operator if it is yours`);
  }
  return new DomainError('conflict', 'parent_domain_exists', `${owned} is verified by another account; only that account can add names under it, such as ${name}`);
}

function dkimKey(txt: string): string | undefined {
  return /(?:^|;)\s*p=([^;]*)/.exec(txt)?.[1]?.replace(/\s+/g, '');
}
