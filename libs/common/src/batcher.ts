import { AsyncResource } from 'node:async_hooks';

/**
 * Group commit: callers hand in one item each and await their own result, while the work runs
 * for many items at once (one SQL statement for a hundred deliveries instead of a hundred).
 * A batch runs at the end of the current tick, unless `maxInFlight` batches are running already,
 * or one started less than `minIntervalMs` ago (and the next is not full yet): then items gather
 * until it may start. So an item after a quiet spell waits no longer than a tick, and the busier
 * the callers, the fuller the batches (and the fewer the statements and commits).
 */
export class Batcher<In, Out> {
  private pending: Array<{ item: In; resolve: (out: Out) => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;
  private inFlight = 0;
  private lastStart = -Infinity;
  private timer?: NodeJS.Timeout;
  /**
   * Batches run in the async context the batcher was made in, not that of the caller whose item
   * started them: one batch serves many requests and must not log under the first one's id.
   */
  private readonly flushInOwnContext = AsyncResource.bind(() => this.flush());

  constructor(
    private readonly run: (items: In[]) => Promise<Out[]>,
    private readonly options: { maxSize?: number; maxInFlight?: number; minIntervalMs?: number } = {},
  ) {}

  private get maxSize(): number {
    return this.options.maxSize ?? 200;
  }

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (!this.pending.length || this.inFlight >= (this.options.maxInFlight ?? 2)) return;
    const full = this.pending.length >= this.maxSize;
    // A full batch does not wait out the interval.
    if (this.scheduled && !(full && this.timer)) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.scheduled = true;
    // performance.now() is monotonic: a clock stepped back must not stall claims and records.
    const minInterval = this.options.minIntervalMs ?? 0;
    const wait = full ? 0 : Math.min(minInterval, this.lastStart + minInterval - performance.now());
    if (wait > 0) this.timer = setTimeout(this.flushInOwnContext, wait);
    else setImmediate(this.flushInOwnContext);
  }

  private flush(): void {
    this.scheduled = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length && this.inFlight < (this.options.maxInFlight ?? 2)) {
      const batch = this.pending.splice(0, this.maxSize);
      this.inFlight++;
      this.lastStart = performance.now();
      Promise.resolve()
        .then(() => this.run(batch.map((p) => p.item)))
        .then(
          (results) => batch.forEach((p, i) => p.resolve(results[i] as Out)),
          (error: unknown) => batch.forEach((p) => p.reject(error)),
        )
        .finally(() => {
          this.inFlight--;
          this.schedule();
        });
    }
  }
}
