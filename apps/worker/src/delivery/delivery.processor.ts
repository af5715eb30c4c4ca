import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Worker } from 'bullmq';
import { Batcher } from '@mailroom/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { Secrets } from '@mailroom/crypto';
import { DeliveryRepository, DestinationPolicyRepository, type ClaimedDelivery, type DeliveryOutcome, type DeliveryWork } from '@mailroom/db';
import { DestinationLimiter, MxResolver, SmtpPool, type MxHost } from '@mailroom/delivery';
import { DnsClient } from '@mailroom/dns';
import { DkimSigner } from '@mailroom/dkim';
import { LOGGER, repeatedWarning, type Logger } from '@mailroom/logger';
import { Metrics } from '@mailroom/metrics';
import { RedisConnection, settlesWithin, shutdownDeadline } from '@mailroom/platform';
import { PRIORITY, QUEUES, Queues, bullConnection, typedJob, type JobPayloads, type TypedJob } from '@mailroom/queue';
import { ReturnPath } from '@mailroom/verp';
import { OutcomeBuilder } from './outcomes';
import { RetryPolicy } from './retry-policy';
import { WorkerHeartbeat } from './worker-heartbeat';

type DeliveryJobName = 'deliver' | 'deliver-batch';
type DeliveryJob = TypedJob<DeliveryJobName>;

/** A transaction claimed for sending. */
interface ClaimedSending {
  claim: ClaimedDelivery;
  sending: ClaimedDelivery['recipients'];
}

/** A claimed transaction ready for the wire: signed, or with the error that stopped its signing. */
type Prepared = ClaimedSending & { log: Logger; started: bigint } & ({ signed: Buffer } | { error: unknown });

/** Transactions of a run claimed at once, ahead of their turn on the connection (no rate set). */
const CLAIM_AHEAD = 20;

/** Claims start at most this often under load, so each commit carries many (they run ahead of the wire). */
const CLAIM_COMMIT_MS = 50;

/**
 * Records start at most this often under load. A slot's next send waits for the last one's
 * record, so this interval is paid per message per connection: at 50 ms, 20 connections to one
 * destination could not pass ~400 messages/s however idle the CPU.
 */
const RECORD_COMMIT_MS = 10;

/** Longest a job waits in the worker for a destination slot before it steps aside (delayed). */
const MAX_SLOT_WAIT_MS = 2_000;

/** Of the shutdown grace period, what is kept for recording, handing back and closing connections. */
const CLOSE_MARGIN_MS = 3_000;

/**
 * Delivers (message, recipient domain) transactions: one per `deliver` job, a run of them one
 * after another over one destination slot per `deliver-batch` job. For each: route, claim the
 * recipients, DKIM-sign, send through the connection pool with a VERP envelope sender, record
 * each recipient's reply, and schedule the retry of whatever was deferred. Claims and records of
 * concurrent jobs are group-committed, so a worker with 100 jobs in flight makes a few
 * statements, not hundreds.
 *
 * Claims and destination slots belong to this process's heartbeat (WorkerHeartbeat): they lapse
 * within WORKER_HEARTBEAT_SECONDS when it dies. On shutdown it takes no new jobs, lets the SMTP
 * transactions in flight finish and records them, puts the unstarted rest of its runs back on
 * the queue, gives back its slots, and only then lets the connections close.
 */
@Injectable()
export class DeliveryProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker?: Worker<JobPayloads[DeliveryJobName], void, DeliveryJobName>;
  private stopping = false;
  private readonly resolver: MxResolver;
  private readonly pool: SmtpPool;
  private readonly limiter: DestinationLimiter;
  private readonly signer: DkimSigner;
  private readonly returnPath: ReturnPath;
  private readonly outcomes: OutcomeBuilder;
  private readonly claims: Batcher<DeliveryWork, ClaimedDelivery | null>;
  private readonly records: Batcher<DeliveryOutcome, undefined>;
  private policyTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly deliveries: DeliveryRepository,
    private readonly policies: DestinationPolicyRepository,
    private readonly queues: Queues,
    private readonly metrics: Metrics,
    private readonly heartbeat: WorkerHeartbeat,
    redis: RedisConnection,
    secrets: Secrets,
  ) {
    const dns = new DnsClient({ servers: config.DNS_SERVERS });
    this.resolver = new MxResolver(dns, { port: config.OUTBOUND_SMTP_PORT, relayHost: config.RELAY_HOST });
    // Keep as many idle connections per host as may be open to it, so a busy destination reuses them all.
    this.pool = new SmtpPool({ name: config.MAIL_HOSTNAME, maxIdlePerHost: config.DESTINATION_MAX_CONNECTIONS });
    this.limiter = new DestinationLimiter(
      redis.client,
      redis.prefix,
      { maxConnections: config.DESTINATION_MAX_CONNECTIONS, messagesPerMinute: config.DESTINATION_MESSAGES_PER_MINUTE },
      // A slot lives one heartbeat timeout past its last renewal: a dead worker's slots free
      // themselves within seconds, not after the delivery lease.
      heartbeat.timeoutMs,
      heartbeat.id,
    );
    heartbeat.onBeat(() => this.limiter.renew());
    this.signer = new DkimSigner(secrets.box('dkim-keys'), {
      threads: config.DKIM_SIGNING_THREADS,
      onThreadError: (error) => this.logger.error({ err: error }, 'DKIM signing thread failed'),
    });
    this.returnPath = new ReturnPath(secrets);
    this.outcomes = new OutcomeBuilder(new RetryPolicy(config.RETRY_SCHEDULE, config.RETRY_MAX_AGE_HOURS));
    // Claims and records gather under load (CLAIM_COMMIT_MS, RECORD_COMMIT_MS): a commit costs
    // PostgreSQL milliseconds whatever its size.
    this.claims = new Batcher((work) => this.deliveries.claim(work, config.DELIVERY_LEASE_SECONDS, heartbeat.id), { maxInFlight: 2, minIntervalMs: CLAIM_COMMIT_MS, maxSize: 200 });
    this.records = new Batcher(async (outcomes) => {
      try {
        await this.deliveries.record(outcomes);
      } catch (error) {
        // One bad row must not cost the batch (those recipients would be sent again after the
        // lease): record them one by one, and let only the bad one fail.
        if (outcomes.length === 1) throw error;
        const results = await Promise.allSettled(outcomes.map((o) => this.deliveries.record([o])));
        const failed = results.filter((r) => r.status === 'rejected').length;
        this.logger.error({ err: error, failed, of: outcomes.length }, 'recording a batch of outcomes failed; recorded one by one');
      }
      return outcomes.map(() => undefined);
    }, { maxInFlight: 2, minIntervalMs: RECORD_COMMIT_MS, maxSize: 500 });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.loadPolicies();
    this.policyTimer = setInterval(() => void this.loadPolicies(), 60_000).unref();
    this.worker = new Worker<JobPayloads[DeliveryJobName], void, DeliveryJobName>(QUEUES.delivery, (job, token) => this.process(typedJob(job), token), {
      connection: bullConnection(this.config),
      prefix: this.config.REDIS_PREFIX,
      // Stamped on each job it takes (processedBy): when this worker's heartbeat lapses, the
      // heartbeat of another finds the runs it was in the middle of.
      name: this.heartbeat.id,
      concurrency: this.config.WORKER_CONCURRENCY,
      lockDuration: this.config.WORKER_LOCK_SECONDS * 1000,
      // Look for jobs of dead workers as often as a lock lasts (BullMQ's default is every 30 s
      // whatever the lock): until then their job ids also block the sweeper's re-enqueue.
      stalledInterval: Math.max(1000, this.config.WORKER_LOCK_SECONDS * 1000),
      // A stalled job (its worker died) runs again; claim() makes the rerun safe.
      maxStalledCount: 5,
    });
    // While Redis is down BullMQ reports every reconnect attempt: once, then every 30 s at most.
    this.worker.on('error', repeatedWarning(this.logger, 'delivery worker connection error'));
    this.worker.on('failed', (job, error) => this.logger.error({ err: error, job: job?.id }, 'delivery job failed'));
    this.logger.info({ concurrency: this.config.WORKER_CONCURRENCY }, 'delivery worker started');
  }

  /**
   * Runs before any connection closes (PostgreSQL, Redis and the queues close in
   * onApplicationShutdown, the last phase). Takes no new jobs; a run stops after the message in
   * flight and goes back on the queue; transactions in flight finish and are recorded. If they
   * outlast the grace period, their connections are broken (each is recorded as deferred) so the
   * process still ends in time. Then the slots and any claim left go back.
   */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.policyTimer);
    this.stopping = true;
    const graceMs = this.config.SHUTDOWN_GRACE_SECONDS * 1000;
    const margin = Math.min(CLOSE_MARGIN_MS, graceMs / 3);
    const closing = this.worker?.close() ?? Promise.resolve();
    if (!(await settlesWithin(closing, shutdownDeadline(graceMs) - margin - Date.now()))) {
      this.logger.warn('deliveries still in flight at the end of the grace period; breaking their connections');
      this.pool.abort();
      await settlesWithin(closing, margin / 2);
    }
    await this.pool.close();
    await this.limiter.releaseAll().catch((error: unknown) => this.logger.warn({ err: error }, 'could not give back destination slots; they lapse on their own'));
    await this.heartbeat.retire().catch((error: unknown) => this.logger.warn({ err: error }, 'could not hand back claims; they are free once the heartbeat lapses'));
    await this.signer.close();
    this.logger.info('delivery worker stopped');
  }

  async process(job: DeliveryJob, token?: string): Promise<void> {
    const { domain } = job.data;
    const messageIds = job.name === 'deliver-batch' ? job.data.messageIds : [job.data.messageId];
    const log = this.logger.child({ job: job.id, domain });
    if (this.stopping) return this.handBack(job, messageIds, token);
    const route = await this.resolver.route(domain);
    if (!route.ok) {
      await Promise.all(
        messageIds.map(async (messageId) => {
          const claimed = await this.claimSending(messageId, domain);
          if (claimed) await this.record(claimed.claim, domain, this.outcomes.fromRoute(claimed.claim, claimed.sending, route), log);
        }),
      );
      return;
    }

    const admission = await this.admit(domain, route.hosts);
    // No slot, or the rate is spent: step aside until it may go; nothing was claimed.
    if (!admission.ok) return this.handBack(job, messageIds, token, admission.waitMs);
    // Without a rate, and where a message takes a small part of the lease, the run's messages
    // flow back to back over the slot: claimed CLAIM_AHEAD at a time (one statement), each signed
    // while the one before is on the wire and recorded. What is claimed is sent, even when
    // stopping: a claim is never left behind in `sending`. The first message of a run goes alone
    // and times the destination. With a rate, each message is claimed only once the rate lets
    // it go, as a message claimed and then put back would wait out its lease.
    const rated = Boolean(this.limiter.limitsFor(domain, route.hosts.map((h) => h.host)).limits.messagesPerMinute);
    const leaseMs = this.config.DELIVERY_LEASE_SECONDS * 1000;
    let flowing = false;
    const claims: Array<Promise<ClaimedSending | null>> = [];
    const claimThrough = (end: number) => {
      if (this.stopping && claims.length) return;
      for (let j = claims.length; j < Math.min(end, messageIds.length); j++) claims.push(this.claimAhead(messageIds[j]!, domain));
    };
    const prepared: Array<Promise<Prepared | null>> = [];
    const prepare = (i: number) => {
      if (i >= messageIds.length || i < prepared.length) return;
      claimThrough(i + (flowing ? CLAIM_AHEAD : 1));
      prepared[i] = this.prepare(claims[i]!, messageIds[i]!, log);
    };
    let rest: string[] = [];
    let waitMs = 0;
    try {
      for (let i = 0; i < messageIds.length; i++) {
        // Stopping: the messages in flight (those claimed) are finished; the rest of the run goes
        // back unstarted. With a rate, a message is claimed only once the rate lets it go.
        if (i >= claims.length) {
          waitMs = i === 0 ? 0 : this.stopping ? 0 : await admission.next();
          if (i > 0 && (waitMs > 0 || this.stopping)) {
            rest = messageIds.slice(i);
            break;
          }
        }
        prepare(i);
        const current = await prepared[i]!;
        if (flowing && !this.stopping) prepare(i + 1);
        // The next send waits for this one's record: a crash sends again at most the one
        // transaction a slot has in flight. (The next one is claimed and signed meanwhile.)
        const sent = performance.now();
        if (current) await (await this.transmit(current, domain, route.hosts)).recorded;
        // A message claimed ahead waits for those before it: only a fraction of its lease, by
        // the time the last one took (sends past the lease risk a second claim as before).
        flowing = !rated && (performance.now() - sent) * CLAIM_AHEAD <= leaseMs / 10;
      }
    } finally {
      await admission.release().catch(() => undefined);
    }
    // The destination's rate is spent for this minute, or this worker is stopping: the rest of
    // the run (the same job, so the same id the sweeper would use) waits on the queue.
    if (rest.length) await this.handBack(job, rest, token, waitMs);
  }

  /**
   * Puts (the rest of) a job back on the queue, due in `delayMs`, as the same job: nothing of it
   * was claimed, so whichever worker takes it next sends it. Throws DelayedError, which tells
   * BullMQ the job was moved and is not done.
   */
  private async handBack(job: DeliveryJob, messageIds: string[], token: string | undefined, delayMs = 0): Promise<never> {
    if (job.name === 'deliver-batch' && messageIds.length !== job.data.messageIds.length) {
      await job.updateData({ ...job.data, messageIds });
    }
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }

  /** A claim of one transaction of a run; null when there is nothing to send. */
  private claimAhead(messageId: string, domain: string): Promise<ClaimedSending | null> {
    return this.claimSending(messageId, domain);
  }

  /**
   * The first half of one transaction of a run: its claim and its signature. A failure is its
   * own (the rest of the run goes on): unclaimed, it is left to the sweeper; after the claim, the
   * error is kept and recorded as a deferral when its turn comes.
   */
  private async prepare(claiming: Promise<ClaimedSending | null>, messageId: string, runLog: Logger): Promise<Prepared | null> {
    const log = runLog.child({ messageId });
    let claimed: ClaimedSending | null;
    try {
      claimed = await claiming;
    } catch (error) {
      // Nothing was claimed: the recipients stay queued (or deferred) for the sweeper.
      log.error({ err: error }, 'could not claim; the sweeper will put this back');
      return null;
    }
    if (!claimed) return null;
    const { claim } = claimed;
    // Logged under the request that accepted the message (API call or relay session), so one id
    // follows it from the call to the receiving server's reply. A child logger rather than the
    // request context: on Node 22, AsyncLocalStorage in this process would tax every await of
    // every delivery (its promise hooks cost the worker 5% of its throughput in bench:delivery).
    const messageLog = claim.requestId ? log.child({ reqId: claim.requestId }) : log;
    const started = process.hrtime.bigint();
    try {
      return { ...claimed, log: messageLog, started, signed: await this.signer.sign(claim.raw, claim.fromDomain, claim.keys) };
    } catch (error) {
      return { ...claimed, log: messageLog, started, error };
    }
  }

  /**
   * The second half: sends over the pool and returns once the server has answered, with the
   * recording of the outcome under way (`recorded` never rejects: what fails is logged and deferred).
   */
  private async transmit(prepared: Prepared, domain: string, hosts: MxHost[]): Promise<{ recorded: Promise<void> }> {
    const { claim, sending, log } = prepared;
    const deferOnError = (error: unknown) => {
      // Whatever failed after the claim, the recipients must not sit in `sending` until the lease.
      log.error({ err: error }, 'delivery failed after the claim; deferring');
      return this.record(claim, domain, this.outcomes.fromError(claim, sending, error), log).catch((recordError: unknown) =>
        log.error({ err: recordError }, 'could not record the deferral; the lease will free the recipients'),
      );
    };
    try {
      if ('error' in prepared) throw prepared.error;
      const from =
        sending.length === 1
          ? this.returnPath.address({ kind: 'recipient', recipientId: sending[0]!.id }, claim.returnPathDomain)
          : this.returnPath.addressForDomain(claim.messageId, domain, claim.returnPathDomain);
      const startMx = Math.min(...sending.map((r) => r.mxIndex)) || 0;
      const result = await this.pool.send(hosts, startMx % hosts.length, { from, to: sending.map((r) => r.email) }, prepared.signed);
      if (!result.ok) log.info({ errors: result.connectionErrors }, 'no MX host took the message');
      else if (log.isLevelEnabled('debug')) log.debug({ mx: result.mxHost, replies: result.recipients.map((r) => r.response) }, 'delivery attempted');
      const recorded = this.record(claim, domain, this.outcomes.fromSend(claim, sending, hosts, result), log).then(
        () => this.metrics.deliveries.observe(Number(process.hrtime.bigint() - prepared.started) / 1e9),
        deferOnError,
      );
      return { recorded };
    } catch (error) {
      return { recorded: deferOnError(error) };
    }
  }

  /**
   * Claims the work and returns the recipients to attempt now, or null when there are none:
   * delivered or claimed already (a duplicate job), or all found suppressed.
   */
  private async claimSending(messageId: string, domain: string): Promise<{ claim: ClaimedDelivery; sending: ClaimedDelivery['recipients'] } | null> {
    const claim = await this.claims.submit({ messageId, domain });
    const sending = claim?.recipients.filter((r) => r.status === 'sending') ?? [];
    return claim && sending.length ? { claim, sending } : null;
  }

  private async record(claim: ClaimedDelivery, domain: string, outcomes: DeliveryOutcome[], log: Logger): Promise<void> {
    await Promise.all(outcomes.map((o) => this.records.submit(o)));
    for (const o of outcomes) {
      this.metrics.recipientOutcomes.inc({ status: o.status });
      this.metrics.deliveryOutcomes.inc({ class: o.status === 'bounced' ? `bounced_${o.bounceType ?? 'hard'}` : o.status });
    }
    const deferred = outcomes.filter((o) => o.status === 'deferred' && o.nextAttemptAt);
    if (!deferred.length) return;
    const next = Math.min(...deferred.map((o) => o.nextAttemptAt!.getTime()));
    const attempt = Math.max(...claim.recipients.map((r) => r.attempts));
    try {
      await this.queues.enqueue(
        'deliver',
        { messageId: claim.messageId, domain, attempt },
        { delay: Math.max(0, next - Date.now()), priority: PRIORITY[claim.stream] },
      );
    } catch (error) {
      log.warn({ err: error }, 'could not enqueue the retry; the sweeper will');
    }
  }

  private async admit(domain: string, hosts: MxHost[]) {
    const names = hosts.map((h) => h.host);
    const deadline = Date.now() + MAX_SLOT_WAIT_MS;
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      const admission = await this.limiter.acquire(domain, names);
      if (admission.ok || admission.waitMs > 1_000 || Date.now() > deadline || this.stopping) return admission;
      await new Promise((r) => setTimeout(r, pause));
    }
  }

  private async loadPolicies(): Promise<void> {
    try {
      this.limiter.setRules(await this.policies.list());
    } catch (error) {
      this.logger.warn({ err: error }, 'could not load destination policies; keeping the previous ones');
    }
  }
}
