import { freePort } from './ports';
import { spawnBuilt, type BuiltProcess } from './run-built';
import { TEST_REDIS_URL } from './test-env';

/** Resolves when the process has written `text` (a log message), rejects when it exits or times out first. */
export async function waitForOutput(child: BuiltProcess, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!child.output().includes(text)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process exited before "${text}":\n${child.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${child.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends `signal` and waits for the exit: the exit code (null when a signal ended it) and how long it took. */
export async function signalAndWait(child: BuiltProcess, signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, ms: 0 };
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  const code = await exited;
  return { code, ms: Date.now() - started };
}

/** Log lines that say a connection or pool was used after it was closed: none may appear in a clean shutdown. */
export const CLOSED_RESOURCE_ERRORS = ['Cannot use a pool after calling end', 'Connection is closed', 'Connection terminated', 'shutdown failed'];

/**
 * The built processes a test file starts: the test stops what it means to, the rest are killed
 * after each test (afterEach: `killAll()`), and their output explains a failure.
 */
export class BuiltProcesses {
  private readonly running: BuiltProcess[] = [];

  /** Those started since the last `killAll()`, in order. */
  get list(): readonly BuiltProcess[] {
    return this.running;
  }

  /** Starts `entry` with `env` and returns at once. */
  spawn(entry: string, env: Record<string, string>): BuiltProcess {
    const child = spawnBuilt(entry, env);
    this.running.push(child);
    return child;
  }

  /** Starts `entry` with `env` and resolves once the process has written `ready` (a log message). */
  async start(entry: string, env: Record<string, string>, ready: string): Promise<BuiltProcess> {
    const child = this.spawn(entry, env);
    await waitForOutput(child, ready);
    return child;
  }

  async killAll(): Promise<void> {
    for (const child of this.running.splice(0)) await signalAndWait(child, 'SIGKILL');
  }

  /** The last 3000 characters each has written. */
  tails(): string {
    return this.running.map((p) => p.output().slice(-3000)).join('\n---\n');
  }
}

/**
 * The environment of a worker process (the built entry point) beside a test's API: the same
 * database, Redis and prefix, a free health port; `env` adds to it or overrides it.
 */
export async function workerEnvFor(api: { db: { url: string }; config: { REDIS_PREFIX: string } }, env: Record<string, string>): Promise<Record<string, string>> {
  return {
    DATABASE_URL: api.db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: api.config.REDIS_PREFIX,
    MAIL_HOSTNAME: 'mx.mailroom.test',
    LOG_LEVEL: 'info',
    HTTP_PORT: String(await freePort()),
    ...env,
  };
}
