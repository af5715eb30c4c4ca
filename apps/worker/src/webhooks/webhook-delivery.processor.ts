import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Worker } from 'bullmq';
import { Batcher } from '@mailroom/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { Secrets } from '@mailroom/crypto';
import { Sql, WebhookDeliveryRepository, type ClaimedWebhookDelivery, type WebhookAttemptResult } from '@mailroom/db';
import { DnsClient } from '@mailroom/dns';
import { EventWriter } from '@mailroom/events';
import { LOGGER, repeatedWarning, type Logger } from '@mailroom/logger';
import { Metrics } from '@mailroom/metrics';
import { QUEUES, bullConnection, type JobPayloads } from '@mailroom/queue';
import { AccountNotifier, AddressGuard, WebhookRetryPolicy, WebhookSender, secretKey, type AttemptOutcome } from '@mailroom/webhooks';
import { PER_JOB } from './webhook-pump';

type WebhookJobName = 'webhook-deliver';

/** Claims and records of concurrent jobs are committed together at most this often. */
const GROUP_COMMIT_MS = 20;
/** An endpoint's failing time is looked at no more often than this after failures (or a quarter of the limit). */
const FAILING_CHECK_MS = 60_000;

/**
 * Sends webhook deliveries: claims each (one attempt, locked for longer than an attempt can
 * last), signs and POSTs it, and records the answer with the next attempt's time. 2xx succeeds;
 * anything else, a timeout or a network error is retried on WEBHOOK_RETRY_SCHEDULE (a
 * Retry-After replaces the wait) until the schedule is used up; 410 disables the endpoint at
 * once, and an endpoint failing for WEBHOOK_DISABLE_AFTER_HOURS is disabled too: both write a
 * webhook.disabled event in the same transaction and mail the account. Claims and records are
 * group-committed across jobs.
 */
@Injectable()
export class WebhookDeliveryProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker?: Worker<JobPayloads[WebhookJobName], void, WebhookJobName>;
  private readonly sender: WebhookSender;
  private readonly retries: WebhookRetryPolicy;
  private readonly claims: Batcher<string, ClaimedWebhookDelivery | null>;
  private readonly records: Batcher<WebhookAttemptResult, undefined>;
  private readonly keys = new Map<string, Buffer | null>();
  private readonly failingChecked = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly sql: Sql,
    private readonly events: EventWriter,
    private readonly notifier: AccountNotifier,
    private readonly metrics: Metrics,
    private readonly secrets: Secrets,
  ) {
    const guard = new AddressGuard(new DnsClient({ servers: config.DNS_SERVERS }), config.WEBHOOK_ALLOW_PRIVATE);
    this.sender = new WebhookSender(guard, { timeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1000 });
    this.retries = new WebhookRetryPolicy(config.WEBHOOK_RETRY_SCHEDULE);
    const lockSeconds = config.WEBHOOK_TIMEOUT_SECONDS + 10;
    const commits = { maxInFlight: 2, minIntervalMs: GROUP_COMMIT_MS, maxSize: 1000 };
    this.claims = new Batcher(async (ids) => {
      const claimed = new Map((await this.deliveries.claim(ids, lockSeconds)).map((c) => [c.id, c]));
      return ids.map((id) => claimed.get(id) ?? null);
    }, commits);
    this.records = new Batcher(async (results) => {
      await this.deliveries.record(results);
      return results.map(() => undefined);
    }, commits);
  }

  onApplicationBootstrap(): void {
    this.worker = new Worker<JobPayloads[WebhookJobName], void, WebhookJobName>(QUEUES.webhooks, (job) => this.process(job.data), {
      connection: bullConnection(this.config),
      prefix: this.config.REDIS_PREFIX,
      concurrency: Math.max(1, Math.ceil(this.config.WEBHOOK_CONCURRENCY / PER_JOB)),
      lockDuration: this.config.WORKER_LOCK_SECONDS * 1000,
      stalledInterval: Math.max(1000, this.config.WORKER_LOCK_SECONDS * 1000),
      maxStalledCount: 5,
    });
    this.worker.on('error', repeatedWarning(this.logger, 'webhook worker connection error'));
    this.worker.on('failed', (job, error) => this.logger.error({ err: error, job: job?.id }, 'webhook job failed'));
  }

  /** Attempts in flight finish and are recorded before the connections close. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await this.sender.close();
  }

  async process(job: JobPayloads[WebhookJobName]): Promise<void> {
    const claimed = await Promise.all(job.deliveries.map((d) => this.claims.submit(d.id)));
    await Promise.all(claimed.map((delivery) => delivery && this.attempt(delivery)));
  }

  private async attempt(delivery: ClaimedWebhookDelivery): Promise<void> {
    // A child logger only when something is logged: thousands of attempts a second would make garbage of it.
    const log = () => this.logger.child({ webhook: delivery.webhookId, delivery: delivery.id, attempt: delivery.attempt });
    if (!delivery.enabled) {
      this.metrics.webhookDeliveries.inc({ result: 'disabled' });
      await this.records.submit({ id: delivery.id, attempt: delivery.attempt, outcome: 'failed', error: 'endpoint disabled', durationMs: 0 });
      return;
    }
    const keys = [this.key(delivery.secretEncrypted), delivery.previousSecretEncrypted ? this.key(delivery.previousSecretEncrypted) : null].filter((k): k is Buffer => k !== null);
    const { type, timestamp, data } = delivery.payload;
    // The same bytes on every attempt: the stored payload in a fixed key order.
    const body = JSON.stringify({ type, timestamp, data });
    const outcome = keys.length
      ? await this.sender.send({ url: delivery.url, id: delivery.eventId, body, keys })
      : ({ kind: 'network', error: 'the endpoint secret cannot be read (was SECRET_KEY changed?)', durationMs: 0 } as const);
    this.metrics.webhookDeliveries.inc({ result: resultLabel(outcome) });
    this.metrics.webhookDuration.observe(outcome.durationMs / 1000);
    const result = this.result(delivery, outcome);
    try {
      await this.records.submit(result);
    } catch (error) {
      log().error({ err: error }, 'could not record a webhook attempt; it is tried again once its lock ends');
      return;
    }
    if (this.logger.isLevelEnabled('debug')) log().debug({ outcome: outcome.kind, status: 'status' in outcome ? outcome.status : undefined, next: result.nextAttemptAt }, 'webhook attempt');
    if (outcome.kind === 'http' && outcome.status === 410) await this.disable(delivery.webhookId, 'the endpoint answered 410 Gone');
    else if (result.outcome !== 'succeeded') await this.disableIfFailingTooLong(delivery.webhookId);
  }

  private result(delivery: ClaimedWebhookDelivery, outcome: AttemptOutcome): WebhookAttemptResult {
    const base = { id: delivery.id, attempt: delivery.attempt, durationMs: outcome.durationMs };
    if (outcome.kind === 'success') return { ...base, outcome: 'succeeded', statusCode: outcome.status, response: outcome.response };
    const answered = outcome.kind === 'http' ? { statusCode: outcome.status, response: outcome.response, error: httpError(outcome.status) } : { error: outcome.error };
    if (outcome.kind === 'http' && outcome.status === 410) return { ...base, ...answered, outcome: 'failed' };
    const next = this.retries.next(delivery.attempt, Date.now(), outcome.kind === 'http' ? outcome.retryAfterSeconds : undefined);
    return next ? { ...base, ...answered, outcome: 'retry', nextAttemptAt: next } : { ...base, ...answered, outcome: 'failed' };
  }

  /** Disables the endpoint and writes webhook.disabled in one transaction, then mails the account. */
  private async disable(webhookId: string, reason: string, failingLongerThanHours?: number): Promise<void> {
    try {
      const disabled = await this.sql.transaction(async (tx) => {
        const rows = await this.deliveries.disable(tx, [webhookId], reason, failingLongerThanHours);
        if (rows.length) await this.events.webhooksDisabled(tx, rows);
        return rows;
      });
      for (const d of disabled) {
        this.logger.warn({ webhook: d.id, account: d.accountId, reason: d.reason }, 'webhook endpoint disabled');
        await this.notifier.webhookDisabled(d);
      }
    } catch (error) {
      this.logger.error({ err: error, webhook: webhookId }, 'could not disable a webhook endpoint');
    }
  }

  private async disableIfFailingTooLong(webhookId: string): Promise<void> {
    const last = this.failingChecked.get(webhookId) ?? 0;
    const hours = this.config.WEBHOOK_DISABLE_AFTER_HOURS;
    if (Date.now() - last < Math.min(FAILING_CHECK_MS, (hours * 3600_000) / 4)) return;
    this.failingChecked.set(webhookId, Date.now());
    if (this.failingChecked.size > 10_000) this.failingChecked.delete(this.failingChecked.keys().next().value!);
    await this.disable(webhookId, `every attempt failed for more than ${formatHours(hours)}`, hours);
  }

  /** A sealed secret's key bytes, opened once per process. */
  private key(sealed: string): Buffer | null {
    let key = this.keys.get(sealed);
    if (key === undefined) {
      try {
        key = secretKey(this.secrets.box('webhook-secrets').open(sealed));
      } catch {
        key = null;
      }
      if (this.keys.size >= 10_000) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(sealed, key);
    }
    return key;
  }
}

function resultLabel(outcome: AttemptOutcome): string {
  if (outcome.kind !== 'http') return outcome.kind;
  if (outcome.status === 410) return 'gone';
  return `http_${Math.floor(outcome.status / 100)}xx`;
}

function httpError(status: number): string {
  if (status >= 300 && status < 400) return `HTTP ${status}: a redirect is not followed; point the endpoint at its final URL`;
  return `HTTP ${status}`;
}

function formatHours(hours: number): string {
  return hours >= 48 ? `${Math.round(hours / 24)} days` : hours >= 1 ? `${Math.round(hours)} hours` : `${Math.round(hours * 3600)} seconds`;
}
