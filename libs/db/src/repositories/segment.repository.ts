import { Injectable } from '@nestjs/common';
import { newId } from '@mailroom/common';
import { PrismaService } from '../prisma.service';
import { Sql } from '../sql';
import type { Prisma, Segment } from '../generated/client';
import { SqlParams, segmentFilterSql, type SegmentFilter } from './segment-filter';

export type { Segment };

/** Segments: a named filter over an account's contacts (segment-filter.ts compiles it). */
@Injectable()
export class SegmentRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: Sql,
  ) {}

  create(accountId: string, input: { name: string; filter: SegmentFilterJson }): Promise<Segment> {
    return this.prisma.segment.create({ data: { id: newId(), accountId, name: input.name, filter: input.filter } });
  }

  find(accountId: string, id: string): Promise<Segment | null> {
    return this.prisma.segment.findFirst({ where: { id, accountId } });
  }

  /** Newest first; the cursor is the last segment's id. */
  list(accountId: string, options: { limit: number; cursor?: string }): Promise<Segment[]> {
    return this.prisma.segment.findMany({
      where: { accountId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: options.limit,
      ...(options.cursor ? { cursor: { id: options.cursor }, skip: 1 } : {}),
    });
  }

  async update(accountId: string, id: string, input: { name?: string; filter?: SegmentFilterJson }): Promise<Segment | null> {
    const { count } = await this.prisma.segment.updateMany({ where: { id, accountId }, data: input });
    return count ? this.find(accountId, id) : null;
  }

  async delete(accountId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.segment.deleteMany({ where: { id, accountId } });
    return count > 0;
  }

  /** Which of these list ids are the account's (filters and campaigns may name only those). */
  async ownLists(accountId: string, listIds: string[]): Promise<Set<string>> {
    if (!listIds.length) return new Set();
    const rows = await this.sql.query<{ id: string }>('SELECT id FROM contact_lists WHERE account_id = $1 AND id = ANY($2::uuid[])', [accountId, listIds]);
    return new Set(rows.map((r) => r.id));
  }

  /** How many of the account's contacts (erased ones aside) match, and how many of those are active. */
  async count(accountId: string, filter: SegmentFilter): Promise<{ count: number; active: number }> {
    const params = new SqlParams([accountId]);
    const where = segmentFilterSql(filter, params, '$1');
    const rows = await this.sql.query<{ count: number; active: number }>(
      `SELECT count(*)::int AS count, count(*) FILTER (WHERE c.status = 'active')::int AS active
         FROM contacts c WHERE c.account_id = $1 AND c.erased_at IS NULL AND ${where}`,
      params.values,
    );
    return rows[0]!;
  }
}

/** The stored form of a filter: JSON as the API took it. */
export type SegmentFilterJson = Prisma.InputJsonValue;
