const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const number = new Intl.NumberFormat();

export const formatDate = (value: string | null | undefined): string => (value ? dateTime.format(new Date(value)) : '—');
export const formatNumber = (value: number): string => number.format(value);
export const formatPercent = (value: number): string => `${(value * 100).toFixed(value < 0.01 ? 2 : 1)} %`;

/** "3 minutes ago" for the recent past, the date beyond a day. */
export function formatAgo(value: string | null | undefined): string {
  if (!value) return '—';
  const seconds = Math.round((Date.now() - new Date(value).getTime()) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return formatDate(value);
}
