/**
 * Group commit: callers hand in one item each and await their own result, while the work runs
 * for many items at once (one SQL statement for a hundred deliveries instead of a hundred).
 * A batch runs when it is full or when the current tick ends, so a lone caller waits no longer
 * than a microtask.
 */
export class Batcher<In, Out> {
  private pending: Array<{ item: In; resolve: (out: Out) => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;

  constructor(
    private readonly run: (items: In[]) => Promise<Out[]>,
    private readonly maxSize = 200,
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxSize) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending.splice(0, this.maxSize);
    if (this.pending.length && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    if (!batch.length) return;
    this.run(batch.map((p) => p.item)).then(
      (results) => batch.forEach((p, i) => p.resolve(results[i])),
      (error: unknown) => batch.forEach((p) => p.reject(error)),
    );
  }
}
