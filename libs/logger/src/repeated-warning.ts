import type { Logger } from 'pino';

/**
 * For errors that repeat as long as something stays broken (Redis down: BullMQ reports every
 * reconnect attempt, about once a second): the first is logged, then the same cause at most once
 * per interval with how many were left out, and without a stack trace (the cause says it all).
 */
export function repeatedWarning(logger: Logger, msg: string, intervalMs = 30_000, now: () => number = Date.now): (error: unknown) => void {
  const seen = new Map<string, { at: number; left: number }>();
  return (error) => {
    const e = (error ?? {}) as { code?: string; message?: string };
    const cause = e.message ?? String(error);
    const key = e.code ?? cause;
    const last = seen.get(key);
    const at = now();
    if (last && at - last.at < intervalMs) {
      last.left++;
      return;
    }
    if (seen.size >= 100 && !last) seen.clear(); // causes with changing text must not pile up
    logger.warn(last ? { cause, repeated: last.left + 1, seconds: Math.round((at - last.at) / 1000) } : { cause }, msg);
    seen.set(key, { at, left: 0 });
  };
}
