import { Injectable } from '@nestjs/common';
import { newId } from '@mailroom/common';
import { PrismaService } from '../prisma.service';
import type { Account } from '../generated/client';

@Injectable()
export class AccountRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(name: string, email: string | null = null): Promise<Account> {
    return this.prisma.account.create({ data: { id: newId(), name, email } });
  }

  find(accountId: string): Promise<Account | null> {
    return this.prisma.account.findUnique({ where: { id: accountId } });
  }

  async update(accountId: string, data: { name?: string; sendLimitPerHour?: number | null; email?: string | null }): Promise<Account | null> {
    const { count } = await this.prisma.account.updateMany({ where: { id: accountId }, data });
    return count ? this.find(accountId) : null;
  }

  list(limit = 100): Promise<Account[]> {
    return this.prisma.account.findMany({ orderBy: { createdAt: 'desc' }, take: limit });
  }
}
