import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { DeliveryRepository } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { RedisConnection } from '@mailroom/platform';
import { DeliveryPlanner, Queues } from '@mailroom/queue';

const BATCH = 5_000;
/** How often a worker checks that Redis still holds what it was given (see watchForLoss). */
const LOSS_PROBE_MS = 2_000;
/** What one recovery pass puts back; more waits for the regular sweeps (each takes BATCH). */
const RECOVERY_BATCH = 100_000;

/**
 * PostgreSQL is the record of what must be sent; Redis only schedules it. Every
 * SWEEP_INTERVAL_SECONDS one worker (whoever takes the Redis lock) puts back on the queue the
 * work that should be there but may not be: recipients `queued` for longer than an interval,
 * `deferred` and due, or `sending` for a worker that is gone (its heartbeat lapsed; the
 * heartbeat's own reaping usually gets there first) or past the lease. Job ids dedupe work that
 * is still queued (queued work of a run comes back as its run, under the run's id), and claim()
 * takes each recipient once, so sweeping too much is harmless.
 *
 * Redis losing its data (FLUSHALL, a restart without persistence, a failover to an empty
 * replica) is found within seconds rather than at the next interval: a marker key set by the
 * sweeper vanishes with everything else, and the worker that notices puts back all queued and
 * due work at once, however young.
 */
@Injectable()
export class Sweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private probe?: NodeJS.Timeout;
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
    this.probe = setInterval(() => {
      this.running ??= this.watchForLoss()
        .catch(() => undefined) // Redis unreachable: the probe asks again once it is back
        .finally(() => (this.running = undefined));
    }, LOSS_PROBE_MS);
    this.probe.unref();
  }

  /**
   * Sets the marker if it is missing, and when it was missing (Redis lost its data, or this is
   * the installation's first worker) sweeps everything due without waiting for work to age.
   */
  async watchForLoss(): Promise<number> {
    const marker = this.redis.key('sweeper', 'marker');
    const created = await this.redis.client.set(marker, String(Date.now()), 'NX');
    if (!created) return 0;
    const total = await this.sweep(0, RECOVERY_BATCH).catch(async (error: unknown) => {
      await this.redis.client.del(marker).catch(() => 0); // not recovered yet: the next probe tries again
      throw error;
    });
    if (total) this.logger.warn({ jobs: total }, 'Redis lost its data; put back on the queue every transaction still to send');
    return total;
  }

  /** Before the connections close (their hooks run last): a sweep in progress finishes. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.probe);
    await this.running;
  }

  /**
   * One pass; returns how many (message, domain) transactions were put back on the queue. Work
   * younger than `graceSeconds` (an interval by default) is probably still on the queue and is
   * left alone. A recovery pass (`limit` given) goes ahead even where another worker holds the
   * lock: a flushed Redis held none, and putting work back twice is harmless.
   */
  async sweep(graceSeconds = this.config.SWEEP_INTERVAL_SECONDS, limit?: number): Promise<number> {
    const force = limit !== undefined;
    const lock = this.redis.key('sweeper', 'lock');
    const token = randomUUID();
    const interval = this.config.SWEEP_INTERVAL_SECONDS;
    const taken = await this.redis.client.set(lock, token, 'PX', interval * 1000, 'NX');
    if (!taken && !force) return 0;
    let total = 0;
    try {
      const due = await this.deliveries.due(limit ?? BATCH, graceSeconds, this.config.DELIVERY_LEASE_SECONDS);
      if (due.length) {
        await this.queues.enqueueMany(DeliveryPlanner.forStoredWork(due));
        total = due.length;
        if (!force) this.logger.info({ jobs: total }, 'sweeper re-enqueued work missing from the queue');
      }
    } finally {
      if ((await this.redis.client.get(lock)) === token && total < (limit ?? BATCH)) await this.redis.client.del(lock).catch(() => 0);
    }
    return total;
  }
}
