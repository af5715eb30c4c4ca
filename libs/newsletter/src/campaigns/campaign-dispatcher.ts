import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@mailroom/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { CampaignDispatchRepository, CampaignRepository, type DispatchingCampaign, type DispatchPlan, type PendingRecipient } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import type { AnyEnqueue } from '@mailroom/queue';
import { DeliveryEnqueuer } from '@mailroom/sending';
import { CampaignMessageBuilder, type PreparedCampaign } from './campaign-message-builder';
import { CampaignService } from './campaign.service';

/** Pending recipients materialized per transaction. */
export const DISPATCH_BATCH = 500;
/** How long one campaign is fed in a tick before the next campaign's turn. */
const TURN_MS = 2_000;
/** Messages composed at once within a batch. */
const COMPOSE_CONCURRENCY = 16;
/** Compiled campaigns kept per process. */
const PREPARED_CACHE = 100;

export interface TickResult {
  started: number;
  messages: number;
  skipped: number;
  completed: number;
  /** Campaigns whose in-flight window was full: worth another look soon, as mail goes out. */
  full: number;
}

/**
 * Feeds sending campaigns to the delivery engine, from PostgreSQL alone: every tick it starts
 * scheduled campaigns that are due (freezing their audience) and, campaign by campaign, tops up
 * each one's in-flight window with batches of messages (CampaignDispatchRepository.dispatchBatch:
 * one transaction per batch, under the campaign's row lock, so any number of workers share the
 * work and a pause holds from the next batch). A contact is re-checked when their turn comes:
 * unsubscribed, bounced, complained, erased or suppressed since the freeze means skipped, so an
 * unsubscribe applies to the rest of a running campaign within seconds. Messages are enqueued
 * after their batch commits; if that fails (Redis gone) the sweeper finds them queued. A campaign
 * is marked sent once nothing is pending and all its recipients are final.
 */
@Injectable()
export class CampaignDispatcher {
  private readonly prepared = new Map<string, { version: number; prepared: PreparedCampaign }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly dispatch: CampaignDispatchRepository,
    private readonly campaigns: CampaignRepository,
    private readonly service: CampaignService,
    private readonly builder: CampaignMessageBuilder,
    private readonly delivery: DeliveryEnqueuer,
  ) {}

  /** One pass over the due campaigns; `stopping` ends it after the batch in progress (shutdown). */
  async tick(stopping: () => boolean = () => false): Promise<TickResult> {
    const result: TickResult = { started: 0, messages: 0, skipped: 0, completed: 0, full: 0 };
    for (const due of await this.dispatch.due()) {
      if (stopping()) break;
      try {
        if (due.status === 'scheduled') {
          const campaign = await this.campaigns.find(due.account_id, due.id);
          if (!campaign) continue;
          const total = await this.service.start(campaign, ['scheduled'], false);
          if (total === null) continue; // another worker started it, or it was edited or cancelled meanwhile
          result.started++;
          this.logger.info({ campaign: due.id, recipients: total }, 'scheduled campaign started; audience frozen');
        }
        await this.feed(due.id, result, stopping);
      } catch (error) {
        this.logger.error({ err: error, campaign: due.id }, 'campaign dispatch failed; the next tick tries again');
      }
    }
    return result;
  }

  /** Batches for one campaign until its window is full, its rate is spent, it is drained, or its turn is over. */
  private async feed(campaignId: string, result: TickResult, stopping: () => boolean): Promise<void> {
    const until = Date.now() + TURN_MS;
    const limits = { batchSize: DISPATCH_BATCH, window: this.config.CAMPAIGN_WINDOW };
    while (Date.now() < until && !stopping()) {
      let jobs: AnyEnqueue[] = [];
      const batch = await this.dispatch.dispatchBatch(campaignId, limits, async (campaign, pending) => {
        const plan = await this.plan(await this.prepare(campaign), pending);
        jobs = this.delivery.plan(plan.messages); // marks the runs on the recipients before they are stored
        return plan;
      });
      if (batch.state === 'dispatched') {
        await this.delivery.enqueue(jobs);
        result.messages += batch.messages.length;
        result.skipped += batch.skipped;
        continue;
      }
      if (batch.state === 'full') result.full++;
      if (batch.state === 'drained' && (await this.dispatch.complete(campaignId))) {
        result.completed++;
        this.logger.info({ campaign: campaignId }, 'campaign sent: every recipient reached a final status');
      }
      return;
    }
  }

  /** Materializes a batch: a message for each recipient who still may get it, a reason for each who may not. */
  private async plan(prepared: PreparedCampaign, batch: PendingRecipient[]): Promise<DispatchPlan> {
    const plan: DispatchPlan = { messages: [], outcomes: [] };
    // A few compositions at a time: they are CPU work, and hundreds at once only hold more
    // half-built messages in memory (and the garbage collector busy) for no gain.
    for (let at = 0; at < batch.length; at += COMPOSE_CONCURRENCY) {
      await Promise.all(batch.slice(at, at + COMPOSE_CONCURRENCY).map((r) => this.materialize(prepared, r, plan)));
    }
    return plan;
  }

  private async materialize(prepared: PreparedCampaign, r: PendingRecipient, plan: DispatchPlan): Promise<void> {
    const reason = skipReason(r);
    if (reason) {
      plan.outcomes.push({ contactId: r.contactId, reason });
      return;
    }
    try {
      const message = await this.builder.build(prepared, { contactId: r.contactId, email: r.email, listId: r.listId, listIdHeader: r.listIdHeader, attributes: r.attributes });
      plan.messages.push(message);
      plan.outcomes.push({ contactId: r.contactId, messageId: message.id });
    } catch (error) {
      // One contact's bad address or oversized copy must not hold up the campaign.
      if (!(error instanceof DomainError)) throw error;
      plan.outcomes.push({ contactId: r.contactId, reason: error.code });
    }
  }

  /** The campaign compiled once per version (its content cannot change while it sends). */
  private async prepare(campaign: DispatchingCampaign): Promise<PreparedCampaign> {
    const version = campaign.updatedAt.getTime();
    const cached = this.prepared.get(campaign.id);
    if (cached?.version === version) return cached.prepared;
    const sendable = await this.campaigns.sendable(campaign.id);
    if (!sendable) throw new Error(`campaign ${campaign.id} vanished while dispatching`);
    const prepared = this.builder.prepare(sendable);
    if (this.prepared.size >= PREPARED_CACHE) this.prepared.clear();
    this.prepared.set(campaign.id, { version, prepared });
    return prepared;
  }
}

/** Why a frozen recipient may no longer be sent the campaign, or null. */
function skipReason(r: PendingRecipient): string | null {
  if (r.contactStatus === null) return 'deleted';
  if (r.erased) return 'erased';
  if (r.contactStatus !== 'active') return r.contactStatus;
  if (!r.subscribed) return 'unsubscribed';
  if (r.suppressed) return 'suppressed';
  return null;
}
