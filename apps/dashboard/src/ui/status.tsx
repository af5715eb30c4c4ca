const TONE: Record<string, string> = {
  delivered: 'good',
  verified: 'good',
  sent: 'good',
  active: 'good',
  queued: 'neutral',
  sending: 'neutral',
  scheduled: 'neutral',
  draft: 'neutral',
  deferred: 'warn',
  paused: 'warn',
  pending: 'warn',
  missing: 'warn',
  partially_delivered: 'warn',
  suppressed: 'muted',
  cancelled: 'muted',
  bounced: 'bad',
  blocked: 'bad',
  failed: 'bad',
  complained: 'bad',
  mismatch: 'bad',
};

/** A state in words and colour (the word carries the meaning; the colour only helps). */
export function Status({ value }: { value: string }) {
  return <span className={`status status-${TONE[value] ?? 'neutral'}`}>{value.replace(/_/g, ' ')}</span>;
}
