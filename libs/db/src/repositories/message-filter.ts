/**
 * A condition on stored messages that PostgreSQL can evaluate, so SEARCH over a large folder
 * reads back matching UIDs only. Text matches are case-insensitive substrings of the decoded
 * Subject, From and To kept beside each message; dates are [from, before) instants.
 */
export type MessageFilter =
  | { op: 'true' }
  | { op: 'and' | 'or'; filters: MessageFilter[] }
  | { op: 'not'; filter: MessageFilter }
  | { op: 'flag'; flag: string }
  | { op: 'uid-ranges'; ranges: ReadonlyArray<readonly [number, number]> }
  | { op: 'uid-list'; uids: readonly number[] }
  | { op: 'contains'; field: 'subject' | 'from' | 'to'; text: string }
  | { op: 'date'; field: 'internal' | 'sent'; from?: Date; before?: Date }
  | { op: 'size'; larger?: number; smaller?: number }
  | { op: 'modseq'; atLeast: number };

const COLUMNS = { subject: 'subject', from: 'from_address', to: 'to_addresses' } as const;
const MAX_DEPTH = 64;

/**
 * Builds the SQL condition for a filter, appending its values to `params` ($n placeholders).
 * Only StoredMailRepository.search uses it.
 */
export function filterSql(filter: MessageFilter, params: unknown[], depth = 0): string {
  if (depth > MAX_DEPTH) throw new Error('message filter nested too deeply');
  const param = (value: unknown, cast = '') => {
    params.push(value);
    return `$${params.length}${cast}`;
  };
  switch (filter.op) {
    case 'true':
      return 'true';
    case 'and':
    case 'or':
      if (!filter.filters.length) return filter.op === 'and' ? 'true' : 'false';
      return `(${filter.filters.map((f) => filterSql(f, params, depth + 1)).join(filter.op === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `NOT ${filterSql(filter.filter, params, depth + 1)}`;
    case 'flag':
      return filter.flag.startsWith('\\')
        ? `(${param(filter.flag)} = ANY(flags))`
        : `EXISTS (SELECT 1 FROM unnest(flags) f WHERE lower(f) = lower(${param(filter.flag)}))`;
    case 'uid-ranges':
      if (!filter.ranges.length) return 'false';
      return `(${filter.ranges.map(([a, b]) => (a === b ? `uid = ${Math.floor(a)}` : `uid BETWEEN ${Math.floor(a)} AND ${Math.floor(b)}`)).join(' OR ')})`;
    case 'uid-list':
      return `(uid = ANY(${param(filter.uids, '::int[]')}))`;
    case 'contains':
      return `(strpos(lower(${COLUMNS[filter.field]}), lower(${param(filter.text)})) > 0)`;
    case 'date': {
      const column = filter.field === 'internal' ? 'internal_date' : 'sent_date';
      const parts: string[] = [];
      if (filter.from) parts.push(`${column} >= ${param(filter.from)}`);
      if (filter.before) parts.push(`${column} < ${param(filter.before)}`);
      return `COALESCE(${parts.join(' AND ') || `${column} IS NOT NULL`}, false)`;
    }
    case 'size': {
      const parts: string[] = [];
      if (filter.larger !== undefined) parts.push(`size > ${Math.floor(filter.larger)}`);
      if (filter.smaller !== undefined) parts.push(`size < ${Math.floor(filter.smaller)}`);
      return `(${parts.join(' AND ') || 'true'})`;
    }
    case 'modseq':
      return `(modseq >= ${param(filter.atLeast)})`;
  }
}
