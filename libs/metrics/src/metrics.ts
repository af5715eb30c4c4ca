import { Global, Injectable, Module } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One queue's state for /metrics: jobs by state in Redis, and how long its oldest due work has waited (PostgreSQL). */
export interface QueueProbe {
  queue: string;
  depth: Record<string, number>;
  oldestPendingSeconds: number;
}

/** One Prometheus registry per process; every app registers its series here. */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'mailroom_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'mailroom_http_request_duration_seconds',
    help: 'HTTP request latency, by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly deliveries = new Histogram({
    name: 'mailroom_delivery_duration_seconds',
    help: 'Time to sign and send one SMTP transaction, including connection set-up',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly recipientOutcomes = new Counter({
    name: 'mailroom_recipient_outcomes_total',
    help: 'Delivery attempts per recipient, by resulting status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly deliveryOutcomes = new Counter({
    name: 'mailroom_delivery_outcomes_total',
    help: 'Delivery attempts per recipient, by class: delivered, deferred, bounced_hard, bounced_soft, blocked, failed',
    labelNames: ['class'] as const,
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'mailroom_webhook_deliveries_total',
    help: 'Webhook delivery attempts, by result: success, http_3xx, http_4xx, http_5xx, gone, timeout, network, refused, disabled',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly webhookDuration = new Histogram({
    name: 'mailroom_webhook_attempt_duration_seconds',
    help: 'Time for one webhook attempt, from sending to the end of the answer (or the error)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers: [this.registry],
  });

  private queueProbe?: () => Promise<QueueProbe[]>;
  private probing?: Promise<QueueProbe[]>;

  readonly queueDepth = new Gauge({
    name: 'mailroom_queue_depth',
    help: 'Jobs per queue and state (waiting, prioritized, delayed, active) in Redis',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
    collect: async () => {
      this.queueDepth.reset();
      for (const probe of await this.probeQueues()) {
        for (const [state, count] of Object.entries(probe.depth)) this.queueDepth.set({ queue: probe.queue, state }, count);
      }
    },
  });
  readonly queueOldestPending = new Gauge({
    name: 'mailroom_queue_oldest_pending_seconds',
    help: "Seconds the oldest due work of each queue has waited (PostgreSQL's record, so it counts work Redis lost too)",
    labelNames: ['queue'] as const,
    registers: [this.registry],
    collect: async () => {
      this.queueOldestPending.reset();
      for (const probe of await this.probeQueues()) this.queueOldestPending.set({ queue: probe.queue }, probe.oldestPendingSeconds);
    },
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mailroom_' });
  }

  /** Where the queue gauges read from (the process that serves /metrics sets it). */
  setQueueProbe(probe: () => Promise<QueueProbe[]>): void {
    this.queueProbe = probe;
  }

  /** One probe per scrape, shared by both queue gauges; a failed probe leaves them empty. */
  private probeQueues(): Promise<QueueProbe[]> {
    if (!this.queueProbe) return Promise.resolve([]);
    this.probing ??= this.queueProbe()
      .catch(() => [])
      .finally(() => setTimeout(() => (this.probing = undefined), 100).unref());
    return this.probing;
  }
}

@Global()
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}
