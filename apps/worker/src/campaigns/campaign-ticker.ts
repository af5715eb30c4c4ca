import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { LOGGER, repeatedWarning, type Logger } from '@mailroom/logger';
import { CampaignDispatcher } from '@mailroom/newsletter';

/** Between ticks when the last one found nothing to do. */
const IDLE_MS = 1_000;
/** Between ticks while campaigns are being fed or wait on a full window: soon, to top it up as mail goes out. */
const BUSY_MS = 100;

/**
 * Runs the campaign dispatcher in this worker: a tick at once after a busy one, a second after an
 * idle one. Deliberately not a BullMQ repeatable job: everything it needs is in PostgreSQL, so a
 * flushed Redis cannot stop a campaign, and every worker ticks (the campaign row lock shares the
 * work out). On shutdown the tick in progress finishes its batch first.
 */
@Injectable()
export class CampaignTicker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly warn: (error: unknown) => void;

  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly dispatcher: CampaignDispatcher,
  ) {
    this.warn = repeatedWarning(this.logger, 'campaign tick failed');
  }

  onApplicationBootstrap(): void {
    this.schedule(IDLE_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.dispatcher
        .tick(() => this.stopped)
        .then(
          (result) => result.messages + result.skipped + result.started + result.full > 0,
          (error: unknown) => {
            this.warn(error);
            return false;
          },
        )
        .then((busy) => {
          this.running = undefined;
          this.schedule(busy ? BUSY_MS : IDLE_MS);
        });
    }, ms);
    this.timer.unref();
  }
}
