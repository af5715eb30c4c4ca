/**
 * When this process must be done stopping: set by runMain when SIGTERM/SIGINT arrives (the signal
 * time plus SHUTDOWN_GRACE_SECONDS), so every drain in the process works to the same deadline
 * however long the drains before it took. A process closed without a signal (a test closing its
 * app) gets the grace period from the moment it asks.
 */
let deadline: number | undefined;

export function beginShutdown(graceMs: number): void {
  deadline ??= Date.now() + graceMs;
}

export function shutdownDeadline(graceMs: number): number {
  return deadline ?? Date.now() + graceMs;
}

/** Resolves true when `work` settles within `ms`, false when the time runs out first. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  try {
    return await Promise.race([work.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
