import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * The options an npm script gives node before its entry point (`npm start`'s
 * `--max-semi-space-size=4`), so that a benchmark runs a process as the script does.
 */
export function npmScriptNodeArgs(script: string): string[] {
  return npmScriptCommand(script).nodeArgs;
}

/** The variables an npm script sets for node (`npm start`'s `MALLOC_ARENA_MAX=2`). */
export function npmScriptEnv(script: string): Record<string, string> {
  return npmScriptCommand(script).env;
}

/** `[NAME=value ...] node [--option ...] entry` in the script's last command, taken apart. */
function npmScriptCommand(script: string): { env: Record<string, string>; nodeArgs: string[] } {
  const scripts = (JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const command = scripts[script];
  if (!command) throw new Error(`package.json has no script ${script}`);
  const words = command.split('&&').at(-1)!.trim().split(/\s+/);
  const node = words.indexOf('node');
  if (node < 0) throw new Error(`script ${script} does not end by running node`);
  const env: Record<string, string> = {};
  for (const word of words.slice(0, node)) {
    const at = word.indexOf('=');
    if (at <= 0) throw new Error(`script ${script}: ${word} before node is not NAME=value`);
    env[word.slice(0, at)] = word.slice(at + 1);
  }
  const nodeArgs: string[] = [];
  for (const word of words.slice(node + 1)) {
    if (!word.startsWith('-')) break;
    nodeArgs.push(word);
  }
  return { env, nodeArgs };
}

/** A process started by spawnBuilt, with all it has written so far. */
export type BuiltProcess = ChildProcess & { output: () => string };

/** Starts a built entry point in the background (with `nodeArgs` for node itself); the caller stops it. */
export function spawnBuilt(entry: string, env: Record<string, string>, nodeArgs: readonly string[] = []): BuiltProcess {
  const child = spawn(process.execPath, [...nodeArgs, resolve(REPO_ROOT, entry)], { env: { ...process.env, ...env }, cwd: REPO_ROOT });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return Object.assign(child, { output: () => output });
}
