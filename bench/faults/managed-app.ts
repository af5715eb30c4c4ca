import type { ChildProcess } from 'node:child_process';
import { spawnBuilt } from '@mailroom/testing';

export type AppKind = 'api' | 'worker' | 'mailroom';

/** The log line each app writes (at LOG_LEVEL=info) once it is serving. */
const READY: Record<AppKind, string> = {
  api: '"msg":"api listening"',
  worker: '"msg":"worker ready"',
  mailroom: '"msg":"mailroom ready',
};

/**
 * One of Mailroom's apps run from dist/ as a real process, through every restart a fault
 * scenario gives it: the output of all its lives is kept, so errors logged by a dying process
 * count as well as those of the restarted one.
 */
export class ManagedApp {
  child?: ChildProcess;
  /** performance.now() when the current life logged that it is serving. */
  readyAt?: number;
  starts = 0;
  private earlierOutput = '';
  private currentOutput: () => string = () => '';

  constructor(
    readonly kind: AppKind,
    private readonly env: Record<string, string>,
  ) {}

  get output(): string {
    return this.earlierOutput + this.currentOutput();
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts a new life; resolves when it logs that it is serving (rejects after timeoutMs). */
  start(timeoutMs = 60_000): Promise<number> {
    if (this.child) this.earlierOutput += this.currentOutput();
    const child = spawnBuilt(`dist/apps/${this.kind}/src/main.js`, this.env);
    this.child = child;
    this.currentOutput = child.output;
    this.readyAt = undefined;
    this.starts++;
    return new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`${this.kind} was not ready after ${timeoutMs} ms:\n${child.output().slice(-2000)}`)), timeoutMs);
      const watch = (d: Buffer) => {
        seen = (seen + d.toString()).slice(-4096);
        if (this.readyAt === undefined && seen.includes(READY[this.kind])) {
          this.readyAt = performance.now();
          clearTimeout(timer);
          child.stdout?.off('data', watch);
          resolve(this.readyAt);
        }
      };
      child.stdout?.on('data', watch);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (this.readyAt === undefined) reject(new Error(`${this.kind} exited (${signal ?? code}) before it was ready:\n${child.output().slice(-2000)}`));
      });
    });
  }

  /** Sends a signal; resolves with how long the process took to exit and how it did. */
  async stop(signal: NodeJS.Signals): Promise<{ ms: number; exit: string }> {
    const child = this.child;
    if (!child || !this.alive) return { ms: 0, exit: 'not running' };
    const sentAt = performance.now();
    const exited = new Promise<string>((resolve) => child.once('exit', (code, sig) => resolve(sig ?? `code ${code}`)));
    child.kill(signal);
    const exit = await exited;
    return { ms: performance.now() - sentAt, exit };
  }
}

/** Counts, in a process's output, the errors the issue names and every error or fatal log line. */
export function countErrors(output: string): { poolEnded: number; connectionClosed: number; errorLines: number; otherLines: number } {
  let errorLines = 0;
  let otherLines = 0;
  for (const line of output.split('\n')) {
    if (!line.trim()) continue;
    if (line.startsWith('{')) {
      if (/"level":(50|60)/.test(line)) errorLines++;
    } else otherLines++;
  }
  return {
    poolEnded: occurrences(output, 'Cannot use a pool after calling end on the pool'),
    connectionClosed: occurrences(output, 'Connection is closed'),
    errorLines,
    otherLines,
  };
}

function occurrences(text: string, needle: string): number {
  let n = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) n++;
  return n;
}
