/**
 * When to try again after a temporary failure (SPEC 6): about 1m, 5m, 15m, 30m, 1h, 2h, 4h,
 * 8h, then every 8h, until RETRY_MAX_AGE_HOURS after acceptance, then `failed`. A wait the
 * server named ("try again in 5 minutes") is honoured, within sane bounds.
 */
export class RetryPolicy {
  constructor(
    private readonly scheduleSeconds: number[],
    private readonly maxAgeHours: number,
  ) {}

  /** `attempts` counts the attempt that just failed (1 for the first). Null: give up. */
  nextAttempt(attempts: number, acceptedAt: Date, namedWaitSeconds?: number, now = new Date()): Date | null {
    const scheduled = this.scheduleSeconds[Math.min(attempts, this.scheduleSeconds.length) - 1] ?? this.scheduleSeconds[0];
    const wait = namedWaitSeconds !== undefined ? Math.min(Math.max(namedWaitSeconds, 1), 24 * 3600) : scheduled;
    const next = new Date(now.getTime() + wait * 1000);
    const deadline = acceptedAt.getTime() + this.maxAgeHours * 3600_000;
    return next.getTime() > deadline ? null : next;
  }
}
