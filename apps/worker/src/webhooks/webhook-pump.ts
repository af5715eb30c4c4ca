import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { EventRepository, WebhookDeliveryRepository, type DueWebhookDelivery } from '@mailroom/db';
import { LOGGER, repeatedWarning, type Logger } from '@mailroom/logger';
import { Queues, type Enqueue } from '@mailroom/queue';

/**
 * How often the pump looks without being woken: retries come due and lost work is found within
 * this. New deliveries wake it at once (NOTIFY mailroom_webhooks, sent on commit).
 */
const POLL_MS = 1_000;
/** Deliveries taken per look; a full take looks again at once. */
const TAKE = 2_000;
/**
 * Deliveries to one endpoint per job (sent concurrently by the processor, which runs
 * WEBHOOK_CONCURRENCY / PER_JOB jobs at once). Each job costs a few Redis round trips and a
 * claim; at 20 a job those were a tenth of the worker's CPU in bench:webhooks.
 */
export const PER_JOB = 50;
const PRUNE_EVERY_MS = 3600_000;

/**
 * Drives webhook delivery from PostgreSQL. When a transaction that wrote deliveries commits
 * (NOTIFY), and at least every POLL_MS, it takes the deliveries that are due and not on the
 * queue (new events, retries whose time has come, and work Redis lost or a dead worker held:
 * queued or locked longer ago than SWEEP_INTERVAL_SECONDS) and puts them on the `webhooks`
 * queue, a job per endpoint and PER_JOB deliveries. PostgreSQL keeps every delivery's state, so
 * a flushed Redis or a worker killed between commit and send loses nothing, and a lost NOTIFY
 * only costs the rest of a second. Each worker runs one; they take disjoint rows. Once an hour
 * it also deletes events older than EVENT_RETENTION_DAYS.
 */
@Injectable()
export class WebhookPump implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Woken while a look was running: look again right after it. */
  private again = false;
  private stopped = false;
  private lastPrune = 0;
  private listener?: { close(): Promise<void> };
  private readonly warn: (error: unknown) => void;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly events: EventRepository,
    private readonly queues: Queues,
  ) {
    this.warn = repeatedWarning(logger, 'webhook pump failed; trying again');
  }

  onApplicationBootstrap(): void {
    this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.listener?.close().catch(() => undefined);
    this.listener = undefined;
  }

  /** Looks now (or right after the look in progress), then every POLL_MS. */
  private wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.tick().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        setImmediate(() => this.wake());
      } else {
        this.timer = setTimeout(() => this.wake(), POLL_MS);
        this.timer.unref();
      }
    });
  }

  private async tick(): Promise<void> {
    try {
      await this.ensureListening();
      while (!this.stopped && (await this.pump()) === TAKE);
      if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
        this.lastPrune = Date.now();
        const pruned = await this.events.prune(this.config.EVENT_RETENTION_DAYS);
        if (pruned) this.logger.info({ events: pruned }, 'deleted events past EVENT_RETENTION_DAYS');
      }
    } catch (error) {
      this.warn(error);
    }
  }

  /** LISTEN on a connection of its own; after a lost connection, again on the next look. */
  private async ensureListening(): Promise<void> {
    if (this.listener || this.stopped) return;
    const listener = await this.deliveries.listen(
      () => this.wake(),
      (error) => {
        this.logger.warn({ err: error }, 'lost the webhook notification connection; polling every second until it is back');
        if (this.listener === listener) this.listener = undefined;
      },
    );
    this.listener = listener;
  }

  /** One take: returns how many deliveries went on the queue. */
  async pump(): Promise<number> {
    const due = await this.deliveries.takeDue(TAKE, this.config.SWEEP_INTERVAL_SECONDS);
    if (!due.length) return 0;
    try {
      await this.queues.enqueueMany(jobsFor(due));
    } catch (error) {
      // They are marked queued: the pump takes them again after SWEEP_INTERVAL_SECONDS.
      this.logger.warn({ err: error, deliveries: due.length }, 'could not queue webhook deliveries; they are taken again after the sweep interval');
    }
    return due.length;
  }
}

/** A job per endpoint and PER_JOB deliveries, each delivery with the attempt it is due for. */
export function jobsFor(due: DueWebhookDelivery[]): Array<Enqueue<'webhook-deliver'>> {
  const byWebhook = new Map<string, DueWebhookDelivery[]>();
  for (const d of due) {
    const list = byWebhook.get(d.webhookId);
    if (list) list.push(d);
    else byWebhook.set(d.webhookId, [d]);
  }
  const jobs: Array<Enqueue<'webhook-deliver'>> = [];
  for (const [webhookId, list] of byWebhook) {
    for (let i = 0; i < list.length; i += PER_JOB) {
      jobs.push({ name: 'webhook-deliver', payload: { webhookId, deliveries: list.slice(i, i + PER_JOB).map((d) => ({ id: d.id, attempts: d.attempts })) } });
    }
  }
  return jobs;
}
