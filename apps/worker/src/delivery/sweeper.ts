import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { DeliveryRepository, SettingRepository } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { RedisConnection } from '@mailroom/platform';
import { PRIORITY, Queues } from '@mailroom/queue';

const BATCH = 5_000;
/** Intervals a queued recipient waits before the sweeper assumes its job was lost. */
const QUEUED_PATIENCE = 10;
const QUEUE_MARKER_SETTING = 'delivery_queue_marker';

/**
 * PostgreSQL is the record of what must be sent; Redis only schedules it. Every
 * SWEEP_INTERVAL_SECONDS one worker (whoever takes the Redis lock) puts back on the queue the
 * work that should be there but may not be: recipients `deferred` and due, `sending` past the
 * lease (their worker died), and `queued` ones whose job may be gone. A queued recipient's job
 * is gone for sure when Redis lost its data (flushed, or restarted without persistence): the
 * sweeper notices by a key of its own having vanished, and then puts back all queued work at
 * once. Otherwise queued work is only put back after QUEUED_PATIENCE intervals (an enqueue that
 * failed, a job that crashed three times), so a long backlog of batched jobs is not queued a
 * second time. claim() takes each recipient once, so sweeping too much is harmless.
 */
@Injectable()
export class Sweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly deliveries: DeliveryRepository,
    private readonly settings: SettingRepository,
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
    const { queueLost, markIntact } = await this.queueState();
    let total = 0;
    try {
      const due = await this.deliveries.due(BATCH, {
        // Work younger than an interval is probably still on the queue (or just re-enqueued).
        graceSeconds: interval,
        queuedGraceSeconds: queueLost ? 0 : interval * QUEUED_PATIENCE,
        leaseSeconds: this.config.DELIVERY_LEASE_SECONDS,
      });
      if (due.length) {
        await this.queues.enqueueMany(
          due.map((work) => ({
            name: 'deliver' as const,
            payload: { messageId: work.messageId, domain: work.domain, attempt: work.attempts },
            priority: PRIORITY[work.stream],
          })),
        );
        total = due.length;
        this.logger.info({ jobs: total, queueLost }, 'sweeper re-enqueued work missing from the queue');
      }
      // Lost work is all back once a pass finds less than a full batch.
      if (total < BATCH) await markIntact();
    } finally {
      if ((await this.redis.client.get(lock)) === token && total < BATCH) await this.redis.client.del(lock).catch(() => 0);
    }
    return total;
  }

  /**
   * Whether Redis lost the queue since the last sweep. A marker in Redis carries a token that
   * PostgreSQL keeps too: the token in PostgreSQL but not in Redis means Redis lost its data.
   * Neither (a new installation) means nothing was lost.
   */
  private async queueState(): Promise<{ queueLost: boolean; markIntact: () => Promise<void> }> {
    const marker = this.redis.key('sweeper', 'queue-marker');
    const known = await this.settings.get(QUEUE_MARKER_SETTING);
    const token = known ?? (await this.settings.getOrCreate(QUEUE_MARKER_SETTING, () => randomUUID()));
    const inRedis = await this.redis.client.get(marker);
    return {
      queueLost: known !== undefined && inRedis !== token,
      markIntact: async () => void (await this.redis.client.set(marker, token)),
    };
  }
}
