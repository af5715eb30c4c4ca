import { Injectable, type OnModuleInit } from '@nestjs/common';
import { StatsRepository, WebhookDeliveryRepository } from '@mailroom/db';
import { Metrics, type QueueProbe } from '@mailroom/metrics';
import { QUEUES, Queues, type QueueName } from '@mailroom/queue';

/**
 * Feeds /metrics the state of every queue at scrape time: jobs by state from Redis, and how
 * long the oldest due work has waited from PostgreSQL (which also sees work Redis lost).
 */
@Injectable()
export class QueueMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly queues: Queues,
    private readonly stats: StatsRepository,
    private readonly webhooks: WebhookDeliveryRepository,
  ) {}

  onModuleInit(): void {
    this.metrics.setQueueProbe(() => this.probe());
  }

  private async probe(): Promise<QueueProbe[]> {
    const oldest: Partial<Record<QueueName, () => Promise<number>>> = {
      [QUEUES.delivery]: () => this.stats.oldestDueDeliverySeconds(),
      [QUEUES.webhooks]: () => this.webhooks.oldestDueSeconds(),
    };
    return Promise.all(
      (Object.values(QUEUES) as QueueName[]).map(async (queue) => {
        const [depth, age] = await Promise.all([
          this.queues.queue(queue).getJobCounts('waiting', 'prioritized', 'delayed', 'active'),
          oldest[queue]?.() ?? Promise.resolve(0),
        ]);
        return { queue, depth, oldestPendingSeconds: age };
      }),
    );
  }
}
