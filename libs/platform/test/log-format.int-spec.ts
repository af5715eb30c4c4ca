import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT, TEST_PG_URL, TEST_REDIS_URL } from '@mailroom/testing';

/**
 * A process started through runMain (as every app is) logs one line and stops: run under a
 * pseudo-terminal (script(1)) it must read as text, through a pipe as JSON lines.
 */
const PROBE = `
const { runMain } = require(${JSON.stringify(resolve(REPO_ROOT, 'dist/libs/platform/src/index.js'))});
runMain('probe', async (config, logger) => {
  logger.info({ port: 3000 }, 'probe ready');
  setImmediate(() => process.kill(process.pid, 'SIGTERM'));
  return async () => undefined;
});
`;

const hasScript = spawnSync('script', ['--version']).status === 0;

function run(file: string, env: Record<string, string>, tty: boolean): Promise<{ code: number; output: string }> {
  const [command, args] = tty
    ? ['script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(file)}`, '/dev/null']]
    : [process.execPath, [file]];
  return new Promise((done, fail) => {
    const child = spawn(command, args as string[], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, output: output.replace(/\r\n/g, '\n') }));
  });
}

describe('log format: readable on a terminal, JSON lines through a pipe', () => {
  let dir: string;
  let probe: string;
  const env = { DATABASE_URL: TEST_PG_URL, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'info', LOG_FORMAT: '', NO_COLOR: '1' };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mailroom-log-format-'));
    probe = join(dir, 'probe.js');
    writeFileSync(probe, PROBE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('logs JSON lines through a pipe', async () => {
    const { code, output } = await run(probe, env, false);
    expect(code, output).toBe(0);
    const ready = output.split('\n').find((line) => line.includes('probe ready'));
    expect(JSON.parse(ready ?? '')).toMatchObject({ level: 30, name: 'mailroom-probe', msg: 'probe ready', port: 3000 });
  });

  it('prints LOG_FORMAT=pretty as text even through a pipe', async () => {
    const { code, output } = await run(probe, { ...env, LOG_FORMAT: 'pretty' }, false);
    expect(code, output).toBe(0);
    expect(output).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(mailroom-probe\): probe ready \{"port":3000\}$/m);
  });

  it.skipIf(!hasScript)('is readable on a terminal, and JSON there with LOG_FORMAT=json', async () => {
    const pretty = await run(probe, env, true);
    expect(pretty.code, pretty.output).toBe(0);
    expect(pretty.output).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(mailroom-probe\): probe ready \{"port":3000\}$/m);
    expect(pretty.output).not.toContain('"msg"');

    const json = await run(probe, { ...env, LOG_FORMAT: 'json' }, true);
    expect(json.code, json.output).toBe(0);
    expect(json.output).toMatch(/^\{"level":30,.*"msg":"probe ready"\}$/m);
  });
});
