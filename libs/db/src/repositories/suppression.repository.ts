import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import type { Suppression, SuppressionReason } from '../generated/client';

@Injectable()
export class SuppressionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Newest first, cursor = the last email of the previous page. */
  list(accountId: string, options: { limit: number; cursor?: string; reason?: SuppressionReason }): Promise<Suppression[]> {
    return this.prisma.suppression.findMany({
      where: { accountId, ...(options.reason ? { reason: options.reason } : {}) },
      orderBy: [{ createdAt: 'desc' }, { email: 'asc' }],
      take: options.limit,
      ...(options.cursor ? { cursor: { accountId_email: { accountId, email: options.cursor } }, skip: 1 } : {}),
    });
  }

  find(accountId: string, email: string): Promise<Suppression | null> {
    return this.prisma.suppression.findUnique({ where: { accountId_email: { accountId, email } } });
  }

  upsert(accountId: string, email: string, reason: SuppressionReason, detail?: string): Promise<Suppression> {
    return this.prisma.suppression.upsert({
      where: { accountId_email: { accountId, email } },
      create: { accountId, email, reason, detail },
      update: { reason, detail },
    });
  }

  async delete(accountId: string, email: string): Promise<boolean> {
    const { count } = await this.prisma.suppression.deleteMany({ where: { accountId, email } });
    return count > 0;
  }
}
