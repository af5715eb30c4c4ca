import { Injectable } from '@nestjs/common';
import { DomainError, notFound } from '@mailroom/common';
import { SegmentRepository, type Segment, type SegmentFilter } from '@mailroom/db';
import { parseSegmentFilter } from './segment-filter.schema';

export interface SegmentView {
  id: string;
  name: string;
  filter: unknown;
  created_at: Date;
  updated_at: Date;
}

const view = (s: Segment): SegmentView => ({ id: s.id, name: s.name, filter: s.filter, created_at: s.createdAt, updated_at: s.updatedAt });

/**
 * Segments of an account: a name and a filter (segment-filter.schema.ts) that is validated when
 * saved, may name only the account's own lists, and is compiled to parameterized SQL when counted
 * or when a campaign's audience is frozen.
 */
@Injectable()
export class SegmentService {
  constructor(private readonly segments: SegmentRepository) {}

  async create(accountId: string, input: { name: string; filter: unknown }): Promise<SegmentView> {
    await this.check(accountId, input.filter);
    return view(await this.segments.create(accountId, { name: input.name, filter: input.filter as object }));
  }

  async get(accountId: string, id: string): Promise<SegmentView> {
    return view(await this.find(accountId, id));
  }

  async list(accountId: string, options: { limit: number; cursor?: string }): Promise<{ data: SegmentView[]; next_cursor: string | null }> {
    const rows = await this.segments.list(accountId, { limit: options.limit + 1, cursor: options.cursor });
    const page = rows.slice(0, options.limit);
    return { data: page.map(view), next_cursor: rows.length > options.limit ? page[page.length - 1]!.id : null };
  }

  async update(accountId: string, id: string, input: { name?: string; filter?: unknown }): Promise<SegmentView> {
    if (input.filter !== undefined) await this.check(accountId, input.filter);
    const updated = await this.segments.update(accountId, id, { name: input.name, filter: input.filter as object | undefined });
    if (!updated) throw notFound('segment');
    return view(updated);
  }

  async delete(accountId: string, id: string): Promise<void> {
    if (!(await this.segments.delete(accountId, id))) throw notFound('segment');
  }

  /** How many contacts match now (erased ones aside), and how many of them are active (a campaign's audience). */
  async count(accountId: string, id: string): Promise<{ id: string; count: number; active: number }> {
    const segment = await this.find(accountId, id);
    return { id, ...(await this.segments.count(accountId, parseSegmentFilter(segment.filter).filter)) };
  }

  /** The compiled-ready filter of one of the account's segments (a campaign's audience). */
  async filterOf(accountId: string, id: string): Promise<SegmentFilter> {
    return parseSegmentFilter((await this.find(accountId, id)).filter).filter;
  }

  private async find(accountId: string, id: string): Promise<Segment> {
    const segment = await this.segments.find(accountId, id);
    if (!segment) throw notFound('segment');
    return segment;
  }

  private async check(accountId: string, filter: unknown): Promise<void> {
    const { listIds } = parseSegmentFilter(filter);
    const own = await this.segments.ownLists(accountId, listIds);
    const unknown = listIds.find((id) => !own.has(id));
    if (unknown) throw new DomainError('invalid', 'unknown_list', `filter: no list ${unknown} in this account`);
  }
}
