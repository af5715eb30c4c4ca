import { z } from 'zod';
import { DomainError } from '@mailroom/common';
import type { SegmentCondition, SegmentFilter } from '@mailroom/db';

/**
 * The segment filter grammar, as a segment's `filter` JSON:
 *
 *   { "all": [ ... ] } | { "any": [ ... ] }                       groups, nested up to 5 deep
 *   { "field": "attributes.plan", "op": "eq", "value": "pro" }    eq neq in contains exists not_exists gt lt
 *   { "field": "email", "op": "ends_with", "value": "@example.com" }  eq neq in contains ends_with
 *   { "field": "status", "op": "eq", "value": "active" }          eq neq in
 *   { "field": "created_at", "op": "after", "value": "2026-01-01T00:00:00Z" }  before after
 *   { "field": "list", "op": "member", "value": "<list id>" }     member not_member (subscribed)
 *   { "field": "engagement", "op": "opened_or_clicked", "days": 30 }
 *        opened clicked opened_or_clicked, and not_… of each; without "days": ever / never
 *
 * It is validated here into the typed SegmentFilter that libs/db compiles to parameterized SQL.
 */
export const SEGMENT_LIMITS = { depth: 5, conditions: 100, valueLength: 1000, inValues: 1000, pathSegments: 5, days: 3650 } as const;

const text = z.string().min(1).max(SEGMENT_LIMITS.valueLength);
const scalar = z.union([text, z.number().finite(), z.boolean()]);
const statuses = z.enum(['active', 'unsubscribed', 'bounced', 'complained']);

const attributeCondition = z.discriminatedUnion('op', [
  z.object({ field: z.string(), op: z.enum(['eq', 'neq']), value: scalar }).strict(),
  z.object({ field: z.string(), op: z.literal('in'), value: z.array(z.union([text, z.number().finite()])).min(1).max(SEGMENT_LIMITS.inValues) }).strict(),
  z.object({ field: z.string(), op: z.literal('contains'), value: z.union([text, z.number().finite()]) }).strict(),
  z.object({ field: z.string(), op: z.enum(['exists', 'not_exists']) }).strict(),
  z.object({ field: z.string(), op: z.enum(['gt', 'lt']), value: z.union([text, z.number().finite()]) }).strict(),
]);

const CONDITIONS: Record<string, z.ZodTypeAny> = {
  email: z.discriminatedUnion('op', [
    z.object({ field: z.literal('email'), op: z.enum(['eq', 'neq', 'contains', 'ends_with']), value: text }).strict(),
    z.object({ field: z.literal('email'), op: z.literal('in'), value: z.array(text).min(1).max(SEGMENT_LIMITS.inValues) }).strict(),
  ]),
  status: z.discriminatedUnion('op', [
    z.object({ field: z.literal('status'), op: z.enum(['eq', 'neq']), value: statuses }).strict(),
    z.object({ field: z.literal('status'), op: z.literal('in'), value: z.array(statuses).min(1) }).strict(),
  ]),
  created_at: z.object({ field: z.literal('created_at'), op: z.enum(['before', 'after']), value: z.string().datetime({ offset: true }).or(z.string().date()) }).strict(),
  list: z.object({ field: z.literal('list'), op: z.enum(['member', 'not_member']), value: z.string().uuid() }).strict(),
  engagement: z
    .object({
      field: z.literal('engagement'),
      op: z.enum(['opened', 'clicked', 'opened_or_clicked', 'not_opened', 'not_clicked', 'not_opened_or_clicked']),
      days: z.number().int().min(1).max(SEGMENT_LIMITS.days).optional(),
    })
    .strict(),
};

const FIELDS = ['attributes.<name>', ...Object.keys(CONDITIONS)].join(', ');

/** A parsed filter and the lists it names (the account must own them). */
export interface ParsedSegmentFilter {
  filter: SegmentFilter;
  listIds: string[];
}

/** Validates filter JSON into a SegmentFilter, or throws DomainError invalid_filter naming the place. */
export function parseSegmentFilter(input: unknown): ParsedSegmentFilter {
  const listIds = new Set<string>();
  let conditions = 0;
  const fail = (path: string, message: string): never => {
    throw new DomainError('invalid', 'invalid_filter', `filter${path}: ${message}`);
  };
  const visit = (node: unknown, path: string, depth: number): SegmentFilter => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return fail(path, 'must be an object: a group {"all": [...]} or {"any": [...]}, or a condition {"field", "op", "value"}');
    const keys = Object.keys(node);
    if (keys.length === 1 && (keys[0] === 'all' || keys[0] === 'any')) {
      const key = keys[0];
      const items = (node as Record<string, unknown>)[key];
      if (!Array.isArray(items)) return fail(`${path}.${key}`, 'must be an array of conditions or groups');
      if (depth >= SEGMENT_LIMITS.depth) return fail(path, `groups nest at most ${SEGMENT_LIMITS.depth} deep`);
      if (key === 'any' && !items.length) return fail(`${path}.any`, 'needs at least one condition');
      const children = items.map((item, i) => visit(item, `${path}.${key}[${i}]`, depth + 1));
      return key === 'all' ? { all: children } : { any: children };
    }
    if (++conditions > SEGMENT_LIMITS.conditions) return fail(path, `at most ${SEGMENT_LIMITS.conditions} conditions in a filter`);
    const field = (node as { field?: unknown }).field;
    if (typeof field !== 'string') return fail(path, `a condition needs "field" (${FIELDS}); a group has exactly one key, "all" or "any"`);
    if (field.startsWith('attributes.')) {
      const segments = field.slice('attributes.'.length).split('.');
      if (segments.length > SEGMENT_LIMITS.pathSegments || segments.some((s) => !s || s.length > 100)) {
        return fail(`${path}.field`, `"${field.slice(0, 120)}": attribute names are 1-100 characters, at most ${SEGMENT_LIMITS.pathSegments} levels (attributes.company.size)`);
      }
      const parsed = check(attributeCondition, node, path);
      return { field: 'attribute', path: segments, op: parsed.op, value: 'value' in parsed ? parsed.value : undefined } as SegmentCondition;
    }
    const schema = Object.hasOwn(CONDITIONS, field) ? CONDITIONS[field] : undefined;
    if (!schema) return fail(`${path}.field`, `unknown field "${field.slice(0, 60)}"; one of ${FIELDS}`);
    const parsed = check(schema, node, path) as Record<string, unknown>;
    if (field === 'list') listIds.add(parsed.value as string);
    if (field === 'created_at') return { field: 'created_at', op: parsed.op as 'before' | 'after', value: new Date(parsed.value as string) };
    return parsed as SegmentCondition;
  };
  const check = <T>(schema: z.ZodType<T>, node: unknown, path: string): T => {
    const result = schema.safeParse(node);
    if (result.success) return result.data;
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? `.${issue.path.join('.')}` : '';
    // A union (a value of several types) says "Invalid input" even when the value is missing.
    const missing = issue.code === 'invalid_union' && issue.path.length === 1 && !Object.hasOwn(node as object, issue.path[0]!);
    return fail(`${path}${where}`, missing ? 'Required' : issue.message);
  };
  const filter = visit(input, '', 0);
  return { filter, listIds: [...listIds] };
}
