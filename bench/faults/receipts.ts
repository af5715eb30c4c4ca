/**
 * What the sink received, by Message-ID and by time: copies of each message (duplicates are
 * messages received more than once) and when each arrived (the gaps a fault leaves).
 */
export class Receipts {
  readonly copies = new Map<string, number>();
  /** performance.now() of every message received, in order. */
  readonly times: number[] = [];
  withoutId = 0;

  add(messageId: string | undefined): void {
    this.times.push(performance.now());
    if (!messageId) {
      this.withoutId++;
      return;
    }
    this.copies.set(messageId, (this.copies.get(messageId) ?? 0) + 1);
  }

  get count(): number {
    return this.times.length;
  }

  /** Messages received more than once, and the extra copies in all. */
  duplicates(): { messages: number; extraCopies: number } {
    let messages = 0;
    let extraCopies = 0;
    for (const n of this.copies.values()) {
      if (n > 1) {
        messages++;
        extraCopies += n - 1;
      }
    }
    return { messages, extraCopies };
  }

  /** The first receipt at or after `at`, or undefined. */
  firstAfter(at: number): number | undefined {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! < at) lo = mid + 1;
      else hi = mid;
    }
    return this.times[lo];
  }

  /** Received between two instants. */
  between(from: number, to: number): number {
    let n = 0;
    for (const t of this.times) if (t >= from && t < to) n++;
    return n;
  }

  /** The longest time without a receipt between `from` and `to` (counting both ends). */
  longestSilence(from: number, to: number): number {
    let last = from;
    let longest = 0;
    for (const t of this.times) {
      if (t < from) continue;
      if (t > to) break;
      longest = Math.max(longest, t - last);
      last = t;
    }
    return Math.max(longest, to - last);
  }
}
