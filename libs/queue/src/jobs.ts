import { createHash } from 'node:crypto';

/**
 * Every queue and job of Mailroom, and the payload each carries. Queue and job names are stable
 * constants: renaming one strands the jobs already queued. Payloads carry ids, never MIME.
 */
export const QUEUES = {
  /**
   * Delivery work: a (message, recipient domain) transaction, or a run of them to one domain;
   * transactional mail has priority.
   */
  delivery: 'delivery',
  /** Webhook deliveries due now, a few to one endpoint per job; their state is in PostgreSQL. */
  webhooks: 'webhooks',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface JobPayloads {
  /** One transaction: a retry, a sweep, or a message with nothing to share a job with. */
  deliver: { messageId: string; domain: string; attempt: number };
  /**
   * First attempts of several messages to one domain, accepted together: delivered one after
   * another over one connection slot, so a batch of N costs the queue one job, not N.
   */
  'deliver-batch': { runId: string; messageIds: string[]; domain: string };
  /**
   * Webhook deliveries to one endpoint, each at the attempt it was queued for (attempts made so
   * far in its round): each is one HTTP request, sent concurrently.
   */
  'webhook-deliver': { webhookId: string; deliveries: Array<{ id: string; attempts: number }> };
}

export type JobName = keyof JobPayloads;

export const JOB_QUEUE: { [N in JobName]: QueueName } = {
  deliver: QUEUES.delivery,
  'deliver-batch': QUEUES.delivery,
  'webhook-deliver': QUEUES.webhooks,
};

/** Lower runs first (BullMQ priorities): transactional mail is served before broadcast. */
export const PRIORITY = { transactional: 1, broadcast: 10 } as const;

/**
 * The job id is the work's identity, so enqueuing the same work twice (an API retry, the
 * sweeper after a Redis restart) makes one job while the first still exists. BullMQ ids may not
 * contain ':'.
 */
export function deliverJobId(payload: JobPayloads['deliver']): string {
  return `deliver_${payload.messageId}_${payload.domain}_${payload.attempt}`;
}

/**
 * A run is named by its first message (runId, also kept on its recipients): each (message,
 * domain) is first of at most one run, and the sweeper re-enqueues a run under the same id.
 */
export function deliverBatchJobId(payload: JobPayloads['deliver-batch']): string {
  return `deliverbatch_${payload.runId}_${payload.domain}`;
}

/** The deliveries and the attempt each was queued for: the same due work queued twice is one job. */
export function webhookDeliverJobId(payload: JobPayloads['webhook-deliver']): string {
  const work = payload.deliveries.map((d) => `${d.id}.${d.attempts}`).sort().join(',');
  return `webhook_${createHash('sha1').update(work).digest('hex')}`;
}
