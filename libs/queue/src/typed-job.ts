import type { Job } from 'bullmq';
import type { JobName, JobPayloads } from './jobs';

/**
 * A job as a processor sees it: a union by name, so `job.name === 'deliver-batch'` narrows
 * `job.data` to that job's payload and a processor needs no shape tests or casts.
 */
export type TypedJob<N extends JobName> = { [K in N]: Job<JobPayloads[K], void, K> }[N];

/**
 * What a BullMQ Worker of jobs `N` hands its processor, as a TypedJob. BullMQ types a job's name
 * and data separately; they belong together because every job is added through Queues, whose
 * `enqueue(name, payload)` takes the payload from JobPayloads by name.
 */
export function typedJob<N extends JobName>(job: Job<JobPayloads[N], void, N>): TypedJob<N> {
  return job as TypedJob<N>;
}
