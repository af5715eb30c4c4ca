import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, type JobsOptions } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { JOB_QUEUE, deliverBatchJobId, deliverJobId, webhookDeliverJobId, type JobName, type JobPayloads, type QueueName } from './jobs';

export interface Enqueue<N extends JobName> {
  name: N;
  payload: JobPayloads[N];
  /** Delay in ms (retries). */
  delay?: number;
  priority?: number;
}

/** Any one job: a union over job names, so the payload follows from the name. */
export type AnyEnqueue = { [N in JobName]: Enqueue<N> }[JobName];

/** BullMQ connection options from REDIS_URL; BullMQ opens its own connections from these. */
export function bullConnection(config: AppConfig) {
  const url = new URL(config.REDIS_URL);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    // Reconnect within a second or two of Redis coming back. BullMQ's own default backs off
    // exponentially up to 20 s, which kept delivery stopped 13 s after a 25 s outage.
    retryStrategy: (times: number) => Math.min(times * 250, 2_000),
  };
}

const JOB_DEFAULTS: JobsOptions = {
  // Jobs leave Redis when done, failed or not: a job id still held by a failed job would make
  // the sweeper's re-enqueue of the same work a silent no-op for as long as it stayed.
  removeOnComplete: true,
  removeOnFail: true,
  // Delivery retries are ours (recorded in PostgreSQL with the SPEC's schedule); BullMQ's
  // attempts only cover a processor that crashed.
  attempts: 3,
  backoff: { type: 'exponential', delay: 5000 },
};

/**
 * Typed producers: enqueue(name, payload) does not compile with a wrong payload. Closed in the last
 * phase of shutdown: a worker draining still enqueues retries and hands work back.
 */
@Injectable()
export class Queues implements OnApplicationShutdown {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: bullConnection(this.config), prefix: this.config.REDIS_PREFIX });
      queue.on('error', () => undefined); // surfaced where it matters: enqueue rejects
      this.queues.set(name, queue);
    }
    return queue;
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N], options: { delay?: number; priority?: number } = {}): Promise<void> {
    await this.enqueueMany([{ name, payload, ...options } as AnyEnqueue]);
  }

  /** One round trip per queue for many jobs. */
  async enqueueMany(jobs: AnyEnqueue[]): Promise<void> {
    const byQueue = new Map<QueueName, AnyEnqueue[]>();
    for (const job of jobs) {
      const queue = JOB_QUEUE[job.name];
      const list = byQueue.get(queue);
      if (list) list.push(job);
      else byQueue.set(queue, [job]);
    }
    await Promise.all(
      [...byQueue].map(([queue, list]) =>
        this.queue(queue).addBulk(
          list.map((job) => ({
            name: job.name,
            data: job.payload,
            opts: { ...JOB_DEFAULTS, jobId: jobId(job), delay: job.delay, priority: job.priority },
          })),
        ),
      ),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}

function jobId(job: AnyEnqueue): string {
  switch (job.name) {
    case 'deliver':
      return deliverJobId(job.payload);
    case 'deliver-batch':
      return deliverBatchJobId(job.payload);
    case 'webhook-deliver':
      return webhookDeliverJobId(job.payload);
  }
}
