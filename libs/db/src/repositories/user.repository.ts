import { Injectable } from '@nestjs/common';
import { newId } from '@mailroom/common';
import { PrismaService } from '../prisma.service';
import type { MemberRole, User, UserTokenKind } from '../generated/client';

export interface MembershipView {
  accountId: string;
  accountName: string;
  role: MemberRole;
}

export interface TeamMember {
  userId: string;
  email: string;
  role: MemberRole;
  /** False while an invited user has not chosen a password yet. */
  active: boolean;
  createdAt: Date;
}

/** Dashboard users, their memberships in accounts, and their one-time (invite, reset) tokens. */
@Injectable()
export class UserRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(input: { email: string; passwordHash: string | null; admin: boolean }): Promise<User> {
    return this.prisma.user.create({ data: { id: newId(), ...input } });
  }

  findByEmail(email: string): Promise<User | null> {
    return this.prisma.user.findUnique({ where: { email } });
  }

  findById(id: string): Promise<User | null> {
    return this.prisma.user.findUnique({ where: { id } });
  }

  async setPassword(userId: string, passwordHash: string): Promise<void> {
    await this.prisma.user.update({ where: { id: userId }, data: { passwordHash } });
  }

  async memberships(userId: string): Promise<MembershipView[]> {
    const rows = await this.prisma.membership.findMany({ where: { userId }, include: { account: { select: { name: true } } }, orderBy: { createdAt: 'asc' } });
    return rows.map((m) => ({ accountId: m.accountId, accountName: m.account.name, role: m.role }));
  }

  /** The user's role in one account, or null when not a member. */
  async role(userId: string, accountId: string): Promise<MemberRole | null> {
    const row = await this.prisma.membership.findUnique({ where: { userId_accountId: { userId, accountId } }, select: { role: true } });
    return row?.role ?? null;
  }

  /** Every account by name (for admin users), at most `limit`. */
  async allAccounts(limit: number): Promise<Array<{ id: string; name: string }>> {
    return this.prisma.account.findMany({ select: { id: true, name: true }, orderBy: [{ name: 'asc' }, { id: 'asc' }], take: limit });
  }

  /** Adds the user to the account, or changes the role of a member. */
  async setMembership(accountId: string, userId: string, role: MemberRole): Promise<void> {
    await this.prisma.membership.upsert({
      where: { userId_accountId: { userId, accountId } },
      create: { userId, accountId, role },
      update: { role },
    });
  }

  async removeMembership(accountId: string, userId: string): Promise<boolean> {
    const { count } = await this.prisma.membership.deleteMany({ where: { accountId, userId } });
    return count > 0;
  }

  async team(accountId: string): Promise<TeamMember[]> {
    const rows = await this.prisma.membership.findMany({
      where: { accountId },
      include: { user: { select: { email: true, passwordHash: true } } },
      orderBy: [{ createdAt: 'asc' }, { userId: 'asc' }],
    });
    return rows.map((m) => ({ userId: m.userId, email: m.user.email, role: m.role, active: m.user.passwordHash !== null, createdAt: m.createdAt }));
  }

  countOwners(accountId: string): Promise<number> {
    return this.prisma.membership.count({ where: { accountId, role: 'owner' } });
  }

  async createToken(input: { tokenHash: string; userId: string; kind: UserTokenKind; expiresAt: Date }): Promise<void> {
    await this.prisma.userToken.create({ data: input });
  }

  /**
   * Spends a one-time token: marks it used and answers its user, in one statement, so two
   * requests with the same link cannot both use it. Null when unknown, used or expired.
   */
  async useToken(tokenHash: string): Promise<{ userId: string; kind: UserTokenKind } | null> {
    const { count } = await this.prisma.userToken.updateMany({
      where: { tokenHash, usedAt: null, expiresAt: { gt: new Date() } },
      data: { usedAt: new Date() },
    });
    if (!count) return null;
    const row = await this.prisma.userToken.findUnique({ where: { tokenHash }, select: { userId: true, kind: true } });
    return row;
  }
}
