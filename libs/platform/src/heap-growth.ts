import { setFlagsFromString } from 'node:v8';

/** What a process gets when HEAP_GROWING_PERCENT is unset and it names no value of its own (bench:imap --mix, bench:delivery; BENCHMARKS.md). */
const DEFAULT_HEAP_GROWING_PERCENT = 50;

/**
 * Keeps V8's old generation within `configured` percent of its live size (HEAP_GROWING_PERCENT;
 * unset, the process's own `processDefault`, else 50): after each full collection the
 * next one comes once the heap has grown by that much. Without it V8 grows the limit by up to
 * four times the live size, and a busy process's resident memory is mostly garbage waiting for
 * a collection (bench:imap --mix: 37 MiB live, 81 MiB used). 0 leaves V8's own rule. A
 * `--heap-growing-percent` on node's command line wins (NODE_OPTIONS cannot carry it).
 */
export function limitHeapGrowth(configured: number | undefined, processDefault = DEFAULT_HEAP_GROWING_PERCENT): void {
  if (process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent') || arg.startsWith('--heap_growing_percent'))) return;
  setFlagsFromString(`--heap-growing-percent=${configured ?? processDefault}`);
}
