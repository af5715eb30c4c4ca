import { createHash } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { Batcher } from '@mailroom/common';
import { TrackingRepository, type EngagementEvent } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { RedisConnection } from '@mailroom/platform';
import { classifyRequest } from './machine-detector';
import type { ClickTarget } from './tracking-tokens';

/** A fetch this soon after the mail was delivered is a machine's (privacy proxies, scanners). */
export const MACHINE_AFTER_DELIVERY_SECONDS = 5;
/** Every distinct link of a copy clicked within this window is a link scanner's burst. */
export const CLICK_BURST_MS = 3000;

export interface RequestFacts {
  method: string;
  ip: string | null;
  userAgent: string | undefined;
}

/**
 * Records opens and clicks without holding up the answer: the pixel or the redirect is sent at
 * once, and events are written in batches (one statement for up to 500) by a group-commit
 * Batcher. Bursts of clicks are told apart through a short-lived sorted set per recipient in
 * Redis, which every API process shares.
 */
@Injectable()
export class EngagementRecorder implements BeforeApplicationShutdown {
  private readonly pending = new Set<Promise<unknown>>();
  private readonly batcher: Batcher<EngagementEvent & { burst?: boolean }, void>;

  constructor(
    private readonly repository: TrackingRepository,
    private readonly redis: RedisConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.batcher = new Batcher((events) => this.write(events), { maxSize: 500, maxInFlight: 2, minIntervalMs: 20 });
  }

  open(recipientId: string, request: RequestFacts): void {
    const verdict = classifyRequest(request.method, request.userAgent);
    this.track(this.batcher.submit(this.event(recipientId, 'opened', null, request, verdict.machine ? verdict.reason : null)));
  }

  click(target: ClickTarget, request: RequestFacts): void {
    const verdict = classifyRequest(request.method, request.userAgent);
    const at = new Date();
    this.track(
      (async () => {
        let reason = verdict.machine ? verdict.reason : null;
        const burst = await this.isBurst(target, at.getTime());
        if (burst && !reason) reason = 'all_links_at_once';
        await this.batcher.submit({ ...this.event(target.recipientId, 'clicked', target.url, request, reason, at), burst });
      })(),
    );
  }

  /** Waits for what was handed in to be written (shutdown, and tests that read right after). */
  async drain(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  private event(recipientId: string, type: 'opened' | 'clicked', url: string | null, request: RequestFacts, reason: string | null, at = new Date()): EngagementEvent {
    return {
      recipientId,
      type,
      at,
      ip: request.ip ? printable(request.ip, 64) : null,
      userAgent: request.userAgent ? printable(request.userAgent, 500) : null,
      url: url === null ? null : printable(url, 2000),
      machine: reason !== null,
      reason,
    };
  }

  /**
   * Whether this click completes every distinct link of the copy within CLICK_BURST_MS. A copy
   * with one link cannot tell (one person's click looks the same); delivery time decides there.
   */
  private async isBurst(target: ClickTarget, now: number): Promise<boolean> {
    if (target.links < 2) return false;
    const key = this.redis.key('clicks', target.recipientId);
    try {
      const result = await this.redis.client
        .multi()
        .zadd(key, now, createHash('sha1').update(target.url).digest('base64').slice(0, 12))
        .zremrangebyscore(key, 0, now - CLICK_BURST_MS)
        .zcard(key)
        .pexpire(key, CLICK_BURST_MS * 2)
        .exec();
      const count = Number(result?.[2]?.[1] ?? 0);
      return count >= target.links;
    } catch (error) {
      // Without Redis the burst rule is skipped; the others still apply.
      this.logger.debug({ err: error }, 'click burst check unavailable');
      return false;
    }
  }

  private async write(events: Array<EngagementEvent & { burst?: boolean }>): Promise<void[]> {
    await this.repository.record(
      events.map(({ burst: _burst, ...e }) => e),
      MACHINE_AFTER_DELIVERY_SECONDS,
    );
    const bursts = [...new Set(events.filter((e) => e.burst).map((e) => e.recipientId))];
    if (bursts.length) await this.repository.reclassifyClicks(bursts, Math.ceil(CLICK_BURST_MS / 1000) + 2);
    return events.map(() => undefined);
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => this.logger.warn({ err: error }, 'open/click not recorded'));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }
}

function printable(text: string, max: number): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, max);
}
