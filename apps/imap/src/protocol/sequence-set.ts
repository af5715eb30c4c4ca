import { ParseError } from './command-parser';

/**
 * RFC 3501 sequence sets (`1,3:5,7:*`), over message sequence numbers or UIDs. `*` stands for
 * the largest value in use; a range may be written high:low.
 */
export type SequenceRange = [from: number, to: number];

const MAX_VALUE = 0xffffffff;
const MAX_RANGES = 10_000;

export function parseSequenceSet(text: string, largest: number): SequenceRange[] {
  if (!text || !/^[\d:*,]+$/.test(text)) throw new ParseError(`invalid sequence set "${text.slice(0, 40)}"`);
  const items = text.split(',');
  if (items.length > MAX_RANGES) throw new ParseError('sequence set too long');
  const ranges = items.map((item): SequenceRange => {
    const bounds = item.split(':');
    if (bounds.length > 2) throw new ParseError(`invalid sequence set "${item}"`);
    const [a, b] = bounds.map((bound) => {
      if (bound === '*') return largest;
      if (!/^\d{1,10}$/.test(bound) || Number(bound) < 1 || Number(bound) > MAX_VALUE) throw new ParseError(`invalid sequence number "${bound}"`);
      return Number(bound);
    });
    const to = b ?? a;
    return a <= to ? [a, to] : [to, a];
  });
  // Sorted and merged, so `1:*,1:*,...` costs what `1:*` costs wherever the set is used.
  return mergeRanges(ranges);
}

/** Sorted, non-overlapping ranges covering the same values. */
export function mergeRanges(ranges: readonly SequenceRange[]): SequenceRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: SequenceRange[] = [];
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

/** Binary search over sorted, merged ranges (as parseSequenceSet returns them). */
export function inRanges(ranges: readonly SequenceRange[], value: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [from, to] = ranges[mid]!;
    if (value < from) hi = mid - 1;
    else if (value > to) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Writes sorted values as a compact set: `1:3,7,9:10`. */
export function formatSequenceSet(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const out: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] <= sorted[j] + 1) j++;
    out.push(sorted[i] === sorted[j] ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
