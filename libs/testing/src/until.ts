/**
 * Waits until `condition` holds, checking every `intervalMs`, for at most `timeoutMs`; then
 * returns whether it held, and the test's own assertion says what is wrong. The bound is a guard
 * against a hang, not a speed limit: a loaded machine may take many times the usual while.
 * (A count of tries, `for (i < 50 ...)`, made tests fail whenever the machine was busy.)
 */
export async function until(condition: () => boolean | Promise<boolean>, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<boolean> {
  const { timeoutMs = 60_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
