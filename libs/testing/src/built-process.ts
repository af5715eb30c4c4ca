import type { ChildProcess } from 'node:child_process';

type Running = ChildProcess & { output: () => string };

/** Resolves when the process has written `text` (a log message), rejects when it exits or times out first. */
export async function waitForOutput(child: Running, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!child.output().includes(text)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process exited before "${text}":\n${child.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${child.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends `signal` and waits for the exit: the exit code (null when a signal ended it) and how long it took. */
export async function signalAndWait(child: Running, signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, ms: 0 };
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  const code = await exited;
  return { code, ms: Date.now() - started };
}

/** Log lines that say a connection or pool was used after it was closed: none may appear in a clean shutdown. */
export const CLOSED_RESOURCE_ERRORS = ['Cannot use a pool after calling end', 'Connection is closed', 'Connection terminated', 'shutdown failed'];
