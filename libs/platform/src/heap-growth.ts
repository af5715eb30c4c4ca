import { setFlagsFromString } from 'node:v8';

/** What each process gets when HEAP_GROWING_PERCENT is unset (bench:imap --mix, bench:delivery; BENCHMARKS.md). */
export const DEFAULT_HEAP_GROWING_PERCENT = 50;

/**
 * Keeps V8's old generation within `percent` of its live size: after each full collection the
 * next one comes once the heap has grown by that much. Without it V8 grows the limit by up to
 * four times the live size, and a busy process's resident memory is mostly garbage waiting for
 * a collection (bench:imap --mix: 37 MiB live, 81 MiB used). 0 leaves V8's own rule. A
 * `--heap-growing-percent` on node's command line wins (NODE_OPTIONS cannot carry it).
 */
export function limitHeapGrowth(percent: number): void {
  if (process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent') || arg.startsWith('--heap_growing_percent'))) return;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
