export type Range = '24h' | '7d' | '30d';

export const RANGES: Array<{ value: Range; label: string }> = [
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
];

/** The stats query of a range: hourly buckets for a day, daily ones beyond. */
export function rangeQuery(range: Range): { from: string; to: string; granularity: 'hour' | 'day' } {
  const hours = range === '24h' ? 24 : range === '7d' ? 24 * 7 : 24 * 30;
  const to = new Date();
  const from = new Date(to.getTime() - hours * 3_600_000);
  return { from: from.toISOString(), to: to.toISOString(), granularity: range === '24h' ? 'hour' : 'day' };
}
