import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { DeliveryRepository } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { RedisConnection } from '@mailroom/platform';
import { PRIORITY, Queues } from '@mailroom/queue';

const BATCH = 5_000;

/**
 * PostgreSQL is the record of what must be sent; Redis only schedules it. Every
 * SWEEP_INTERVAL_SECONDS one worker (whoever takes the Redis lock) puts back on the queue the
 * work that should be there but may not be: recipients `queued` for longer than an interval,
 * `deferred` and due, or `sending` past the lease (their worker died). Job ids dedupe work that
 * is still queued, and claim() takes each recipient once, so sweeping too much is harmless.
 */
@Injectable()
export class Sweeper implements OnApplicationBootstrap, OnApplicationShutdown {
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

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns how many (message, domain) jobs were enqueued. */
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
        await this.queues.enqueueMany(
          due.map((work) => ({
            name: 'deliver' as const,
            payload: { messageId: work.messageId, domain: work.domain, attempt: work.attempts },
            priority: PRIORITY[work.stream],
          })),
        );
        total = due.length;
        this.logger.info({ jobs: total }, 'sweeper re-enqueued work missing from the queue');
      }
    } finally {
      if ((await this.redis.client.get(lock)) === token && total < BATCH) await this.redis.client.del(lock).catch(() => 0);
    }
    return total;
  }
}
