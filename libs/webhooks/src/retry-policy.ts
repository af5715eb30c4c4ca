/** How long an endpoint may ask us to wait (Retry-After) before we give up the round. */
const MAX_RETRY_AFTER_SECONDS = 24 * 3600;

/**
 * When to try a webhook delivery next: after attempt n (1-based) fails, wait schedule[n-1]
 * seconds (WEBHOOK_RETRY_SCHEDULE; the first attempt is immediate), jittered by up to 10% so that
 * deliveries that failed together do not all come back at once. A Retry-After the endpoint sent
 * (429, 502, 503, 504) replaces the scheduled wait. Null once the schedule is used up.
 */
export class WebhookRetryPolicy {
  constructor(
    private readonly schedule: number[],
    private readonly random: () => number = Math.random,
  ) {}

  /** Attempts in a round: the first, then one per entry of the schedule. */
  get maxAttempts(): number {
    return this.schedule.length + 1;
  }

  next(attemptsMade: number, now: number, retryAfterSeconds?: number): Date | null {
    const wait = this.schedule[attemptsMade - 1];
    if (wait === undefined) return null;
    if (retryAfterSeconds !== undefined) return new Date(now + Math.min(Math.max(retryAfterSeconds, 1), MAX_RETRY_AFTER_SECONDS) * 1000);
    const jitter = 1 + (this.random() * 2 - 1) * 0.1;
    return new Date(now + wait * 1000 * jitter);
  }
}
