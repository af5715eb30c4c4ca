import { Injectable } from '@nestjs/common';
import { newId } from '@mailroom/common';
import { PrismaService } from '../prisma.service';
import type { Template } from '../generated/client';

export interface TemplateContent {
  name: string;
  subject: string;
  html?: string | null;
  text?: string | null;
}

@Injectable()
export class TemplateRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(accountId: string, content: TemplateContent): Promise<Template> {
    return this.prisma.template.create({ data: { id: newId(), accountId, ...content } });
  }

  find(accountId: string, id: string): Promise<Template | null> {
    return this.prisma.template.findFirst({ where: { id, accountId } });
  }

  findMany(accountId: string, ids: string[]): Promise<Template[]> {
    return this.prisma.template.findMany({ where: { accountId, id: { in: ids } } });
  }

  list(accountId: string): Promise<Template[]> {
    return this.prisma.template.findMany({ where: { accountId }, orderBy: { name: 'asc' } });
  }

  /** Every update bumps the version, which invalidates compiled copies in every process. */
  async update(accountId: string, id: string, content: Partial<TemplateContent>): Promise<Template | null> {
    const { count } = await this.prisma.template.updateMany({ where: { id, accountId }, data: { ...content, version: { increment: 1 } } });
    return count ? this.find(accountId, id) : null;
  }

  async delete(accountId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.template.deleteMany({ where: { id, accountId } });
    return count > 0;
  }
}
