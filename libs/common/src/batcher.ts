/**
 * Group commit: callers hand in one item each and await their own result, while the work runs
 * for many items at once (one SQL statement for a hundred deliveries instead of a hundred).
 * A batch runs at the end of the current tick, unless `maxInFlight` batches are running already,
 * or one started less than `minIntervalMs` ago: then items gather until it may start. So a lone
 * caller waits no longer than a tick, and the busier the callers, the fuller the batches (and
 * the fewer the statements and commits).
 */
export class Batcher<In, Out> {
  private pending: Array<{ item: In; resolve: (out: Out) => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;
  private inFlight = 0;
  private lastStart = 0;

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
    if (this.scheduled || !this.pending.length || this.inFlight >= (this.options.maxInFlight ?? 2)) return;
    this.scheduled = true;
    const wait = this.pending.length >= this.maxSize ? 0 : this.lastStart + (this.options.minIntervalMs ?? 0) - Date.now();
    if (wait > 0) setTimeout(() => this.flush(), wait);
    else setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length && this.inFlight < (this.options.maxInFlight ?? 2)) {
      const batch = this.pending.splice(0, this.maxSize);
      this.inFlight++;
      this.lastStart = Date.now();
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
    this.schedule();
  }
}
