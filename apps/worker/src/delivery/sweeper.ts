import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { DeliveryRepository, type DueWork } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { RedisConnection } from '@mailroom/platform';
import { PRIORITY, Queues, type AnyEnqueue } from '@mailroom/queue';

const BATCH = 5_000;

/**
 * PostgreSQL is the record of what must be sent; Redis only schedules it. Every
 * SWEEP_INTERVAL_SECONDS one worker (whoever takes the Redis lock) puts back on the queue the
 * work that should be there but may not be: recipients `queued` for longer than an interval,
 * `deferred` and due, or `sending` for a worker that is gone (its heartbeat lapsed; the
 * heartbeat's own reaping usually gets there first) or past the lease. Job ids dedupe work that
 * is still queued (queued work of a run comes back as its run, under the run's id), and claim()
 * takes each recipient once, so sweeping too much is harmless.
 */
@Injectable()
export class Sweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly deliveries: DeliveryRepository,
    private readonly queues: Queues,
    private readonly redis: RedisConnection,
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.config.SWEEP_INTERVAL_SECONDS * 1000;
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'sweep failed'))
        .finally(() => (this.running = undefined));
    }, interval);
    this.timer.unref();
  }

  /** Before the connections close (their hooks run last): a sweep in progress finishes. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns how many (message, domain) transactions were put back on the queue. */
  async sweep(): Promise<number> {
    const lock = this.redis.key('sweeper', 'lock');
    const token = randomUUID();
    const interval = this.config.SWEEP_INTERVAL_SECONDS;
    const taken = await this.redis.client.set(lock, token, 'PX', interval * 1000, 'NX');
    if (!taken) return 0;
    let total = 0;
    try {
      // Work younger than an interval is probably still on the queue; give it that long.
      const due = await this.deliveries.due(BATCH, interval, this.config.DELIVERY_LEASE_SECONDS);
      if (due.length) {
        await this.queues.enqueueMany(jobsFor(due));
        total = due.length;
        this.logger.info({ jobs: total }, 'sweeper re-enqueued work missing from the queue');
      }
    } finally {
      if ((await this.redis.client.get(lock)) === token && total < BATCH) await this.redis.client.del(lock).catch(() => 0);
    }
    return total;
  }
}

/** Single jobs for retries and lost claims; queued work of a run as that run, once per run. */
export function jobsFor(due: DueWork[]): AnyEnqueue[] {
  const jobs: AnyEnqueue[] = [];
  const runs = new Map<string, Extract<AnyEnqueue, { name: 'deliver-batch' }>>();
  for (const work of due) {
    if (!work.runId) {
      jobs.push({ name: 'deliver', payload: { messageId: work.messageId, domain: work.domain, attempt: work.attempts }, priority: PRIORITY[work.stream] });
      continue;
    }
    const key = `${work.runId}|${work.domain}`;
    const run = runs.get(key);
    if (run) run.payload.messageIds.push(work.messageId);
    else runs.set(key, { name: 'deliver-batch', payload: { runId: work.runId, messageIds: [work.messageId], domain: work.domain }, priority: PRIORITY[work.stream] });
  }
  return [...jobs, ...runs.values()];
}
