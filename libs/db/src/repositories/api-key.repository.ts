import { Injectable } from '@nestjs/common';
import { newId } from '@mailroom/common';
import { PrismaService } from '../prisma.service';
import type { ApiKey, ApiKeyScope } from '../generated/client';

@Injectable()
export class ApiKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(input: { accountId: string | null; name: string; scope: ApiKeyScope; prefix: string; keyHash: string }): Promise<ApiKey> {
    return this.prisma.apiKey.create({ data: { id: newId(), ...input } });
  }

  /** Authentication's one lookup: by the unique hash, ignoring revoked keys. */
  findActiveByHash(keyHash: string): Promise<ApiKey | null> {
    return this.prisma.apiKey.findFirst({ where: { keyHash, revokedAt: null } });
  }

  listForAccount(accountId: string): Promise<ApiKey[]> {
    return this.prisma.apiKey.findMany({ where: { accountId }, orderBy: { createdAt: 'desc' } });
  }

  async revoke(accountId: string, keyId: string): Promise<boolean> {
    const { count } = await this.prisma.apiKey.updateMany({
      where: { id: keyId, accountId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count > 0;
  }

  /** Best effort and coarse: marks use at most once per call site's throttle. */
  async touch(keyId: string): Promise<void> {
    await this.prisma.apiKey.update({ where: { id: keyId }, data: { lastUsedAt: new Date() } });
  }
}
