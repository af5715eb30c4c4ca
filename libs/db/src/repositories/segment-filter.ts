/**
 * A segment's filter over an account's contacts, as libs/newsletter validates it (its grammar
 * and limits live there, in segment-filter.schema.ts). Every value a user gives becomes a bind
 * parameter; only the fixed SQL below, chosen by the validated `op`, is ever written into the
 * statement, attribute paths included (`attributes #> $n::text[]`).
 */
export type SegmentFilter = { all: SegmentFilter[] } | { any: SegmentFilter[] } | SegmentCondition;

export type AttributeOp = 'eq' | 'neq' | 'in' | 'contains' | 'exists' | 'not_exists' | 'gt' | 'lt';
export type EngagementOp = 'opened' | 'clicked' | 'opened_or_clicked' | 'not_opened' | 'not_clicked' | 'not_opened_or_clicked';
export type ContactStatusValue = 'active' | 'unsubscribed' | 'bounced' | 'complained';

export type SegmentCondition =
  /** `path` is the attribute's key, or keys for a nested one: ["company", "size"]. */
  | { field: 'attribute'; path: string[]; op: AttributeOp; value?: string | number | boolean | Array<string | number> }
  | { field: 'email'; op: 'eq' | 'neq' | 'in' | 'contains' | 'ends_with'; value: string | string[] }
  | { field: 'status'; op: 'eq' | 'neq' | 'in'; value: ContactStatusValue | ContactStatusValue[] }
  | { field: 'created_at'; op: 'before' | 'after'; value: Date }
  /** Subscribed to the list (`member`) or not (`not_member`). */
  | { field: 'list'; op: 'member' | 'not_member'; value: string }
  /** People's opens or clicks (machines' are not engagement) within the last `days`, or ever. */
  | { field: 'engagement'; op: EngagementOp; days?: number };

/** Appends bind values and names their placeholders. */
export class SqlParams {
  constructor(readonly values: unknown[] = []) {}

  add(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

const MAX_DEPTH = 16;
const NUMERIC = `'^-?[0-9]+(\\.[0-9]+)?$'`;

/**
 * The SQL condition of a filter over contacts aliased `c` of the account bound at `account`
 * (a placeholder of `params`). Only segment and campaign repositories use it.
 */
export function segmentFilterSql(filter: SegmentFilter, params: SqlParams, account: string, depth = 0): string {
  if (depth > MAX_DEPTH) throw new Error('segment filter nested too deeply');
  if ('all' in filter) {
    return filter.all.length ? `(${filter.all.map((f) => segmentFilterSql(f, params, account, depth + 1)).join(' AND ')})` : 'true';
  }
  if ('any' in filter) {
    return filter.any.length ? `(${filter.any.map((f) => segmentFilterSql(f, params, account, depth + 1)).join(' OR ')})` : 'false';
  }
  return conditionSql(filter, params, account);
}

function conditionSql(c: SegmentCondition, params: SqlParams, account: string): string {
  switch (c.field) {
    case 'attribute':
      return attributeSql(c, params);
    case 'email': {
      const value = c.value;
      switch (c.op) {
        case 'eq':
          return `(c.email = lower(${params.add(String(value))}))`;
        case 'neq':
          return `(c.email <> lower(${params.add(String(value))}))`;
        case 'in':
          return `(c.email = ANY(${params.add((Array.isArray(value) ? value : [value]).map((v) => v.toLowerCase()), '::text[]')}))`;
        case 'contains':
          return `(strpos(c.email, lower(${params.add(String(value))})) > 0)`;
        case 'ends_with':
          return `(right(c.email, length(${params.add(String(value))})) = lower(${params.add(String(value))}))`;
      }
      throw new Error(`unknown email op ${String((c as { op: unknown }).op)}`);
    }
    case 'status': {
      if (c.op === 'in') return `(c.status = ANY(${params.add(Array.isArray(c.value) ? c.value : [c.value], '::contact_status[]')}))`;
      const value = params.add(String(c.value), '::contact_status');
      if (c.op === 'eq') return `(c.status = ${value})`;
      if (c.op === 'neq') return `(c.status <> ${value})`;
      throw new Error(`unknown status op ${String(c.op)}`);
    }
    case 'created_at':
      if (c.op === 'before') return `(c.created_at < ${params.add(c.value, '::timestamptz')})`;
      if (c.op === 'after') return `(c.created_at > ${params.add(c.value, '::timestamptz')})`;
      throw new Error(`unknown created_at op ${String(c.op)}`);
    case 'list': {
      const member = `EXISTS (SELECT 1 FROM list_memberships lm WHERE lm.contact_id = c.id AND lm.list_id = ${params.add(c.value, '::uuid')} AND lm.status = 'subscribed')`;
      if (c.op === 'member') return `(${member})`;
      if (c.op === 'not_member') return `(NOT ${member})`;
      throw new Error(`unknown list op ${String(c.op)}`);
    }
    case 'engagement':
      return engagementSql(c, params, account);
  }
}

/**
 * Attributes are JSON: `eq`/`neq`/`in` compare their text form (12 and "12" are equal, as a
 * CSV import stores numbers as text); `gt`/`lt` compare numbers (numeric text included) when the
 * value is a number and text in byte order otherwise (ISO dates sort right); `contains` is an
 * array element, or a case-insensitive substring of a scalar. CASE, not AND, guards each cast:
 * SQL does not promise to evaluate AND left to right.
 */
function attributeSql(c: Extract<SegmentCondition, { field: 'attribute' }>, params: SqlParams): string {
  const json = `(c.attributes #> ${params.add(c.path, '::text[]')})`;
  const text = `(${json} #>> '{}')`;
  const value = c.value;
  switch (c.op) {
    case 'exists':
      return `(${json} IS NOT NULL AND ${json} <> 'null'::jsonb)`;
    case 'not_exists':
      return `(${json} IS NULL OR ${json} = 'null'::jsonb)`;
    case 'eq':
      return `(${text} = ${params.add(String(value))})`;
    case 'neq':
      return `(${text} IS DISTINCT FROM ${params.add(String(value))})`;
    case 'in':
      return `(${text} = ANY(${params.add((Array.isArray(value) ? value : [value]).map(String), '::text[]')}))`;
    case 'contains': {
      const element = params.add(JSON.stringify([value]), '::jsonb');
      return `(CASE WHEN jsonb_typeof(${json}) = 'array' THEN ${json} @> ${element} ELSE strpos(lower(${text}), lower(${params.add(String(value))})) > 0 END)`;
    }
    case 'gt':
    case 'lt': {
      const operator = c.op === 'gt' ? '>' : '<';
      if (typeof value === 'number') {
        const number = `(CASE WHEN jsonb_typeof(${json}) = 'number' THEN (${json})::numeric
                              WHEN jsonb_typeof(${json}) = 'string' AND ${text} ~ ${NUMERIC} THEN ${text}::numeric END)`;
        return `COALESCE(${number} ${operator} ${params.add(value, '::numeric')}, false)`;
      }
      return `COALESCE(${text} COLLATE "C" ${operator} ${params.add(String(value))}, false)`;
    }
  }
  throw new Error(`unknown attribute op ${String((c as { op: unknown }).op)}`);
}

/**
 * Contacts with a person's open or click (message_events of their campaign recipients; machine
 * opens and link-scanner clicks excluded), through the partial engagement index.
 */
function engagementSql(c: Extract<SegmentCondition, { field: 'engagement' }>, params: SqlParams, account: string): string {
  const negate = c.op.startsWith('not_');
  const kind = negate ? c.op.slice(4) : c.op;
  const types = kind === 'opened_or_clicked' ? ['opened', 'clicked'] : [kind];
  const since = c.days === undefined ? '' : ` AND e.created_at >= now() - make_interval(days => ${params.add(c.days, '::int')})`;
  const engaged = `c.id IN (SELECT r.contact_id FROM message_events e JOIN recipients r ON r.id = e.recipient_id
                    WHERE e.account_id = ${account} AND e.type = ANY(${params.add(types, '::event_type[]')})${since}
                      AND e.data->>'machine' IS DISTINCT FROM 'true' AND r.contact_id IS NOT NULL)`;
  return negate ? `(NOT ${engaged})` : `(${engaged})`;
}
