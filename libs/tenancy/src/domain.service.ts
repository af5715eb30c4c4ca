import { Inject, Injectable } from '@nestjs/common';
import { DomainError, newId, notFound } from '@mailroom/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { Secrets } from '@mailroom/crypto';
import { DomainRepository, MailboxRepository, type DomainWithKeys } from '@mailroom/db';
import { dkimRecordValue, generateDkimKeys } from '@mailroom/dkim';
import { DnsResolver } from '@mailroom/dns';
import { normalizeDomainName } from '@mailroom/common';

export type DnsRecordPurpose = 'dkim' | 'spf' | 'dmarc' | 'return_path';

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
  verified: boolean;
  verification: { dkim: boolean; spf: boolean; dmarc: boolean; return_path: boolean; last_checked_at: Date | null };
  dkim: Array<{ selector: string; algorithm: string }>;
  catch_all_mailbox_id: string | null;
  bounce_mailbox_id: string | null;
  dns: DnsRecord[];
  created_at: Date;
}

/** The return-path (VERP) domain: a subdomain whose MX points at Mailroom's inbound MTA. */
export const RETURN_PATH_LABEL = 'mr-bounces';

@Injectable()
export class DomainService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly domains: DomainRepository,
    private readonly mailboxes: MailboxRepository,
    private readonly secrets: Secrets,
    private readonly dns: DnsResolver,
  ) {}

  async create(accountId: string, rawName: string): Promise<DomainView> {
    const name = normalizeDomainName(rawName);
    const returnPathDomain = `${RETURN_PATH_LABEL}.${name}`;
    // Return-path domains are Mailroom's: a domain named like one could take another account's bounces.
    if (name.split('.')[0] === RETURN_PATH_LABEL) {
      throw new DomainError('invalid', 'reserved_name', `${RETURN_PATH_LABEL}.* names are reserved for return paths; add the domain itself`);
    }
    if ((await this.domains.nameTaken(name)) || (await this.domains.nameTaken(returnPathDomain))) {
      throw new DomainError('conflict', 'domain_exists', `domain ${name} is already registered`);
    }
    const box = this.secrets.box('dkim-keys');
    const keys = (await generateDkimKeys()).map((k) => ({
      id: newId(),
      selector: k.selector,
      algorithm: k.algorithm,
      publicKey: k.publicKey,
      privateKeyEncrypted: box.seal(k.privateKeyPem),
    }));
    try {
      const domain = await this.domains.create({ id: newId(), accountId, name, returnPathDomain, keys });
      return this.describe(domain);
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') {
        throw new DomainError('conflict', 'domain_exists', `domain ${name} is already registered`);
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

  /** Operator tools only (the CLI): finds a domain whatever account owns it. */
  async getAnyByName(name: string): Promise<DomainView> {
    const domain = await this.domains.findAnyByName(normalizeDomainName(name));
    if (!domain) throw notFound('domain');
    return this.describe(domain);
  }

  async list(accountId: string): Promise<DomainView[]> {
    return (await this.domains.list(accountId)).map((d) => this.describe(d));
  }

  /** Looks every record up in DNS and reports each one's state; stores the outcome. */
  async verify(accountId: string, domainId: string): Promise<DomainView & { records: Array<DnsRecord & { state: RecordState; found: string[] }> }> {
    const domain = await this.load(accountId, domainId);
    const records = await Promise.all(this.dnsRecords(domain).map((record) => this.check(record)));
    const ok = (purpose: DnsRecordPurpose) => records.filter((r) => r.purpose === purpose).every((r) => r.state === 'verified');
    const saved = await this.domains.saveVerification(accountId, domainId, {
      dkimVerified: ok('dkim'),
      spfVerified: ok('spf'),
      dmarcVerified: ok('dmarc'),
      returnPathVerified: ok('return_path'),
    });
    return { ...this.describe(saved), records };
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
      created_at: domain.createdAt,
    };
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

  private async check(record: DnsRecord): Promise<DnsRecord & { state: RecordState; found: string[] }> {
    if (record.type === 'MX') {
      const found = (await this.lookup(record.name, () => this.dns.mx(record.name))).map((mx) => mx.exchange.toLowerCase().replace(/\.$/, ''));
      const state: RecordState = found.includes(record.value.toLowerCase()) ? 'verified' : found.length ? 'mismatch' : 'missing';
      return { ...record, state, found };
    }
    const all = await this.lookup(record.name, () => this.dns.txt(record.name));
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

function dkimKey(txt: string): string | undefined {
  return /(?:^|;)\s*p=([^;]*)/.exec(txt)?.[1]?.replace(/\s+/g, '');
}
