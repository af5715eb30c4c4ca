import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import type { NewMessage } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { DeliveryPlanner, Queues, type AnyEnqueue } from '@mailroom/queue';

/**
 * Delivery jobs for accepted messages. Jobs are planned before the messages are stored (planning
 * marks the recipients of each run with it) and enqueued after; an enqueue that fails is left to
 * the sweeper, since what is stored will be sent (README: Durability).
 */
@Injectable()
export class DeliveryEnqueuer {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly queues: Queues,
  ) {}

  /** The jobs for messages about to be stored, in runs of up to DELIVERY_BATCH_SIZE. */
  plan(messages: NewMessage[]): AnyEnqueue[] {
    return DeliveryPlanner.forNewMessages(messages, this.config.DELIVERY_BATCH_SIZE);
  }

  async enqueue(jobs: AnyEnqueue[]): Promise<void> {
    if (!jobs.length) return;
    try {
      await this.queues.enqueueMany(jobs);
    } catch (error) {
      // Stored is what counts: the sweeper puts queued work back on the queue (README: Durability).
      this.logger.warn({ err: error, jobs: jobs.length }, 'enqueue failed; the sweeper will pick the messages up');
    }
  }
}
