import { Injectable } from '@nestjs/common';
import { newId } from '@mailroom/common';
import { PrismaService } from '../prisma.service';
import type { SmtpCredential } from '../generated/client';

@Injectable()
export class SmtpCredentialRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(input: { accountId: string; username: string; passwordHash: string }): Promise<SmtpCredential> {
    return this.prisma.smtpCredential.create({ data: { id: newId(), ...input } });
  }

  /** Not tenant-scoped: AUTH names the user before any account is known. */
  findByUsername(username: string): Promise<SmtpCredential | null> {
    return this.prisma.smtpCredential.findUnique({ where: { username } });
  }

  /** Records the last successful login (shown to the account's users). */
  async touch(id: string): Promise<void> {
    await this.prisma.smtpCredential.update({ where: { id }, data: { lastUsedAt: new Date() } });
  }

  list(accountId: string): Promise<SmtpCredential[]> {
    return this.prisma.smtpCredential.findMany({ where: { accountId }, orderBy: { createdAt: 'desc' } });
  }

  async delete(accountId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.smtpCredential.deleteMany({ where: { id, accountId } });
    return count > 0;
  }
}
