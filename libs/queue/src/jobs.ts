/**
 * Every queue and job of Mailroom, and the payload each carries. Queue and job names are stable
 * constants: renaming one strands the jobs already queued. Payloads carry ids, never MIME.
 */
export const QUEUES = {
  /** One job per (message, recipient domain) transaction; transactional mail has priority. */
  delivery: 'delivery',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface JobPayloads {
  deliver: { messageId: string; domain: string; attempt: number };
}

export type JobName = keyof JobPayloads;

export const JOB_QUEUE: { [N in JobName]: QueueName } = {
  deliver: QUEUES.delivery,
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
