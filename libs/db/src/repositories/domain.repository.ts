import { randomBytes } from 'node:crypto';
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

/** Registrations still unproven past their expiry are as good as gone. */
const live = () => ({ OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] });

const withKeys = { dkimKeys: { where: { active: true }, orderBy: { algorithm: 'asc' as const } } };

@Injectable()
export class DomainRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(input: { id: string; accountId: string; name: string; returnPathDomain: string; keys: NewDkimKey[]; ownershipToken?: string; expiresAt?: Date | null }): Promise<DomainWithKeys> {
    return this.prisma.domain.create({
      data: {
        id: input.id,
        accountId: input.accountId,
        name: input.name,
        returnPathDomain: input.returnPathDomain,
        ownershipToken: input.ownershipToken ?? randomBytes(16).toString('hex'),
        expiresAt: input.expiresAt ?? null,
        dkimKeys: { create: input.keys },
      },
      include: withKeys,
    });
  }

  find(accountId: string, domainId: string): Promise<DomainWithKeys | null> {
    return this.prisma.domain.findFirst({ where: { id: domainId, accountId, ...live() }, include: withKeys });
  }

  findByName(accountId: string, name: string): Promise<DomainWithKeys | null> {
    return this.prisma.domain.findFirst({ where: { name, accountId, ...live() }, include: withKeys });
  }

  /** Operator tools (the CLI): every live registration of a name, whatever account holds it, owned first. */
  findAllByName(name: string): Promise<DomainWithKeys[]> {
    return this.prisma.domain.findMany({ where: { name, ...live() }, orderBy: [{ ownedAt: { sort: 'asc', nulls: 'last' } }, { createdAt: 'asc' }], include: withKeys });
  }

  /** The owned domains among `names` held by an account other than `accountId`. */
  ownedElsewhere(accountId: string, names: string[]): Promise<Array<{ name: string }>> {
    return this.prisma.domain.findMany({ where: { name: { in: names }, ownedAt: { not: null }, accountId: { not: accountId } }, select: { name: true } });
  }

  list(accountId: string): Promise<DomainWithKeys[]> {
    return this.prisma.domain.findMany({ where: { accountId, ...live() }, orderBy: { name: 'asc' }, include: withKeys });
  }

  /**
   * Deletes registrations never proven whose time is up (with their mailboxes: an unproven
   * domain never sent or received mail). Reads already ignore them; this frees the rows.
   */
  async purgeExpired(): Promise<number> {
    const { count } = await this.prisma.domain.deleteMany({ where: { ownedAt: null, expiresAt: { lte: new Date() } } });
    return count;
  }

  /**
   * Makes the account the owner of the domain's name, in one transaction: unless another account
   * owns the name or a parent of it (`conflict` names it), marks the domain owned and no longer
   * expiring, and deletes the other accounts' pending registrations of the name and of the names
   * under it, which can no longer be theirs. Two accounts proving the same name at once: the
   * partial unique index lets one win; the other gets `conflict` too.
   */
  async claimOwnership(accountId: string, domainId: string, name: string, parents: string[]): Promise<{ conflict: string | null }> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        // Claims are rare (once in a domain's life) and touch each other's rows (the winner
        // deletes the loser's pending row while the loser's update waits on the unique index:
        // a deadlock); one at a time, which also makes the parent check below exact.
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('mailroom:domain-ownership'))`;
        const owner = await tx.domain.findFirst({ where: { name: { in: [name, ...parents] }, ownedAt: { not: null }, accountId: { not: accountId } }, select: { name: true } });
        if (owner) return { conflict: owner.name };
        const { count } = await tx.domain.updateMany({ where: { id: domainId, accountId, ownedAt: null }, data: { ownedAt: new Date(), expiresAt: null } });
        if (!count) {
          // Proven meanwhile by a concurrent check of this account, or gone: dropped by another
          // account that proved the name first.
          const mine = await tx.domain.count({ where: { id: domainId, accountId, ownedAt: { not: null } } });
          return { conflict: mine ? null : name };
        }
        // right() rather than LIKE: names may hold '_', a LIKE wildcard.
        await tx.$executeRaw`DELETE FROM domains WHERE owned_at IS NULL AND account_id <> ${accountId}::uuid
                               AND (name = ${name} OR right(name, ${name.length + 1}) = ${'.' + name})`;
        return { conflict: null };
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') return { conflict: name };
      throw error;
    }
  }

  /** `owned`: whether the name is proven the account's; sending needs it as well as the records that make the mail pass. */
  async saveVerification(accountId: string, domainId: string, state: DomainVerificationState, owned: boolean): Promise<DomainWithKeys> {
    const now = new Date();
    const verified = owned && state.dkimVerified && state.spfVerified && state.returnPathVerified;
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
