import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { DkimAlgorithm, DkimKey, Domain } from '../generated/client';

export type DomainWithKeys = Domain & { dkimKeys: DkimKey[] };

export interface NewDkimKey {
  id: string;
  selector: string;
  algorithm: DkimAlgorithm;
  publicKey: string;
  privateKeyEncrypted: string;
}

export interface DomainVerificationState {
  spfVerified: boolean;
  dkimVerified: boolean;
  dmarcVerified: boolean;
  returnPathVerified: boolean;
}

const withKeys = { dkimKeys: { where: { active: true }, orderBy: { algorithm: 'asc' as const } } };

@Injectable()
export class DomainRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(input: { id: string; accountId: string; name: string; returnPathDomain: string; keys: NewDkimKey[] }): Promise<DomainWithKeys> {
    return this.prisma.domain.create({
      data: {
        id: input.id,
        accountId: input.accountId,
        name: input.name,
        returnPathDomain: input.returnPathDomain,
        dkimKeys: { create: input.keys },
      },
      include: withKeys,
    });
  }

  find(accountId: string, domainId: string): Promise<DomainWithKeys | null> {
    return this.prisma.domain.findFirst({ where: { id: domainId, accountId }, include: withKeys });
  }

  findByName(accountId: string, name: string): Promise<DomainWithKeys | null> {
    return this.prisma.domain.findFirst({ where: { name, accountId }, include: withKeys });
  }

  /** Not tenant-scoped on purpose: the inbound MTA routes by domain before it knows the account. */
  findAnyByName(name: string): Promise<DomainWithKeys | null> {
    return this.prisma.domain.findUnique({ where: { name }, include: withKeys });
  }

  nameTaken(name: string): Promise<boolean> {
    return this.prisma.domain.count({ where: { OR: [{ name }, { returnPathDomain: name }] } }).then((n) => n > 0);
  }

  list(accountId: string): Promise<DomainWithKeys[]> {
    return this.prisma.domain.findMany({ where: { accountId }, orderBy: { name: 'asc' }, include: withKeys });
  }

  async saveVerification(accountId: string, domainId: string, state: DomainVerificationState): Promise<DomainWithKeys> {
    const now = new Date();
    const verified = state.dkimVerified && state.spfVerified && state.returnPathVerified;
    await this.prisma.domain.updateMany({
      where: { id: domainId, accountId },
      data: { ...state, lastCheckedAt: now, ...(verified ? { verifiedAt: now } : { verifiedAt: null }) },
    });
    const domain = await this.find(accountId, domainId);
    if (!domain) throw new Error(`domain ${domainId} vanished while verifying`);
    return domain;
  }

  /** Where the domain's catch-all mail and its bounce reports go (mailbox ids, or null for none). */
  async saveRouting(accountId: string, domainId: string, routing: { catchAllMailboxId?: string | null; bounceMailboxId?: string | null }): Promise<DomainWithKeys | null> {
    const { count } = await this.prisma.domain.updateMany({ where: { id: domainId, accountId }, data: routing });
    return count ? this.find(accountId, domainId) : null;
  }
}
