import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { DeliveryRepository, WorkerRepository } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { DeliveryPlanner, QUEUES, Queues, type AnyEnqueue, type JobPayloads } from '@mailroom/queue';

/** Beats per WORKER_HEARTBEAT_SECONDS: a worker must miss this many in a row to be taken for dead. */
const BEATS_PER_TIMEOUT = 5;

/**
 * This worker process's identity and heartbeat. What it holds (its `sending` claims in
 * PostgreSQL, its destination slots in Redis) is its own only while it keeps beating: every fifth
 * of WORKER_HEARTBEAT_SECONDS it renews its `workers` row and its slots' expiries. A worker that
 * stops beating (killed, frozen, cut off) loses both within WORKER_HEARTBEAT_SECONDS: its slots
 * lapse in Redis, and the next live worker to beat deletes its row and puts its claims back on the
 * queue, instead of everything waiting out DELIVERY_LEASE_SECONDS. A worker that stops cleanly
 * hands back what it still holds and removes its row itself (retire()).
 */
@Injectable()
export class WorkerHeartbeat implements OnModuleInit {
  readonly id = randomUUID();
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  private readonly renewals: Array<() => Promise<void>> = [];
  private failing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly workers: WorkerRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly queues: Queues,
  ) {}

  /** How long something this worker holds outlives its last beat. */
  get timeoutMs(): number {
    return this.config.WORKER_HEARTBEAT_SECONDS * 1000;
  }

  /** Something renewed on every beat (the destination slots). */
  onBeat(renew: () => Promise<void>): void {
    this.renewals.push(renew);
  }

  async onModuleInit(): Promise<void> {
    // Registered before the delivery worker starts (onApplicationBootstrap): no claim without a row.
    await this.workers.heartbeat(this.id, hostname(), process.pid);
    this.timer = setInterval(() => {
      this.beating ??= this.beat().finally(() => (this.beating = undefined));
    }, this.timeoutMs / BEATS_PER_TIMEOUT);
    this.timer.unref();
    // Workers that died before this one started give their claims back as soon as they lapse.
    await this.reap().catch((error: unknown) => this.logger.warn({ err: error }, 'could not look for dead workers'));
    this.logger.info({ worker: this.id, heartbeatSeconds: this.config.WORKER_HEARTBEAT_SECONDS }, 'worker heartbeat started');
  }

  private async beat(): Promise<void> {
    const results = await Promise.allSettled([this.workers.heartbeat(this.id, hostname(), process.pid), ...this.renewals.map((renew) => renew())]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // Once per failing spell, not every beat: a database restart would otherwise flood the log.
    if (failed && !this.failing) this.logger.warn({ err: failed.reason }, 'heartbeat failed; what this worker holds lapses if it keeps failing');
    this.failing = Boolean(failed);
    await this.reap().catch((error: unknown) => this.logger.warn({ err: error }, 'could not look for dead workers'));
  }

  /**
   * Deletes the rows of workers whose heartbeat lapsed and puts their claims back on the queue,
   * with the unstarted rest of the runs they were delivering; returns how many transactions went
   * back. Should the enqueue fail, the sweeper finds the claims (their worker is gone) on its
   * next pass, and BullMQ the runs once their job locks expire.
   */
  async reap(): Promise<number> {
    const dead = await this.workers.reapLapsed(this.config.WORKER_HEARTBEAT_SECONDS);
    if (!dead.length) return 0;
    const claims = await this.deliveries.claimsOf(dead);
    const unfinished = await this.unfinishedJobs(dead);
    await this.queues.enqueueMany([...DeliveryPlanner.forStoredWork(claims), ...unfinished]);
    this.logger.warn({ workers: dead, transactions: claims.length, unfinishedJobs: unfinished.length }, 'workers stopped beating; their claims are back on the queue');
    return claims.length + unfinished.length;
  }

  /**
   * The jobs dead workers were running stay active in BullMQ until their locks expire
   * (WORKER_LOCK_SECONDS, then a stalled check): what they hold goes back now, under ids no
   * other job has. A run's messages go as jobs of their own (attempt 0 of a message queued in a
   * run: never a job id before); a lone message as a run of one (named by itself). Whatever of
   * them was sent or is claimed again is skipped by claim(), and so are the old jobs when BullMQ
   * gives them back later.
   */
  private async unfinishedJobs(dead: string[]): Promise<AnyEnqueue[]> {
    const active = await this.queues.queue(QUEUES.delivery).getJobs(['active']);
    const jobs: AnyEnqueue[] = [];
    for (const job of active) {
      if (!job || !dead.includes(job.processedBy ?? '')) continue;
      const priority = job.opts.priority;
      if (job.name === 'deliver-batch') {
        const run = job.data as JobPayloads['deliver-batch'];
        for (const messageId of run.messageIds) jobs.push({ name: 'deliver', payload: { messageId, domain: run.domain, attempt: 0 }, priority });
      } else if (job.name === 'deliver') {
        const { messageId, domain } = job.data as JobPayloads['deliver'];
        jobs.push({ name: 'deliver-batch', payload: { runId: messageId, messageIds: [messageId], domain }, priority });
      }
    }
    return jobs;
  }

  /**
   * The clean end of a worker, once its deliveries have finished: stops beating, removes its row
   * (whatever it still claims is free at once) and puts those claims back on the queue.
   */
  async retire(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    const claims = await this.deliveries.claimsOf([this.id]);
    await this.workers.remove(this.id);
    if (claims.length) {
      await this.queues.enqueueMany(DeliveryPlanner.forStoredWork(claims));
      this.logger.warn({ transactions: claims.length }, 'handed back claims this worker could not finish');
    }
  }
}
