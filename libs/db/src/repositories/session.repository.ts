import { Injectable } from '@nestjs/common';
import { newId } from '@mailroom/common';
import { PrismaService } from '../prisma.service';
import type { Session, User } from '../generated/client';

/** Dashboard sessions: looked up by the hash of the cookie's token on every request. */
@Injectable()
export class SessionRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(input: { userId: string; tokenHash: string; expiresAt: Date; ip: string | null; userAgent: string | null }): Promise<Session> {
    return this.prisma.session.create({ data: { id: newId(), ...input } });
  }

  /** The live session with this token hash and its user; null when unknown or expired. */
  findLive(tokenHash: string): Promise<(Session & { user: User }) | null> {
    return this.prisma.session.findFirst({ where: { tokenHash, expiresAt: { gt: new Date() } }, include: { user: true } });
  }

  /** Slides the expiry forward; called at most once a minute per session. */
  async touch(id: string, expiresAt: Date): Promise<void> {
    await this.prisma.session.updateMany({ where: { id }, data: { lastSeenAt: new Date(), expiresAt } });
  }

  async delete(id: string): Promise<void> {
    await this.prisma.session.deleteMany({ where: { id } });
  }

  /** Signs the user out everywhere. */
  async deleteForUser(userId: string): Promise<number> {
    const { count } = await this.prisma.session.deleteMany({ where: { userId } });
    return count;
  }

  /** Sessions past their expiry; run now and then so the table does not grow forever. */
  async deleteExpired(): Promise<number> {
    const { count } = await this.prisma.session.deleteMany({ where: { expiresAt: { lte: new Date() } } });
    return count;
  }
}
