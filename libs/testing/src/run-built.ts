import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** The repository root, from the sources (tests) or from dist/ (benchmarks). */
export const REPO_ROOT = ((): string => {
  let dir = __dirname;
  while (!existsSync(resolve(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

/** Runs a built entry point (dist/...) to completion: what an operator's shell would see. */
export function runBuilt(entry: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve(REPO_ROOT, entry), ...args], { env: { ...process.env, ...env }, cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** A process started by spawnBuilt, with all it has written so far. */
export type BuiltProcess = ChildProcess & { output: () => string };

/** Starts a built entry point in the background; the caller stops it. */
export function spawnBuilt(entry: string, env: Record<string, string>): BuiltProcess {
  const child = spawn(process.execPath, [resolve(REPO_ROOT, entry)], { env: { ...process.env, ...env }, cwd: REPO_ROOT });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return Object.assign(child, { output: () => output });
}
