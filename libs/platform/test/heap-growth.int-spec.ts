import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT, TEST_PG_URL, TEST_REDIS_URL } from '@mailroom/testing';

/**
 * A process started through runMain keeps its old generation within HEAP_GROWING_PERCENT of what
 * is live. The probe holds a live set, then churns arrays that live long enough to be promoted,
 * and reports the old space's largest size against the first live set: with V8's own rule it grows
 * about three times as large as at 20 before full collections bring it down.
 */
const PROBE = `
const v8 = require('node:v8');
const { runMain } = require(${JSON.stringify(resolve(REPO_ROOT, 'dist/libs/platform/src/index.js'))});
runMain('probe', async () => {
  const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
  const live = [];
  for (let i = 0; i < 80; i++) live.push(Array.from({ length: 10000 }, (_, j) => ({ j })));
  global.gc();
  const liveBytes = oldSpace().space_used_size;
  let peak = 0;
  const ring = new Array(256);
  for (let i = 0; i < 4000; i++) {
    ring[i % 256] = Array.from({ length: 2000 }, (_, j) => ({ j, s: 'x' + j }));
    if (i % 25 === 0) peak = Math.max(peak, oldSpace().space_size);
  }
  process.stdout.write('ratio=' + (peak / liveBytes).toFixed(3) + '\\n');
  setImmediate(() => process.kill(process.pid, 'SIGTERM'));
  return async () => undefined;
});
`;

function ratio(file: string, env: Record<string, string>, nodeFlags: string[] = []): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--expose-gc', ...nodeFlags, file], {
      env: { ...process.env, DATABASE_URL: TEST_PG_URL, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      const found = /ratio=([\d.]+)/.exec(output);
      if (code !== 0 || !found) fail(new Error(`probe exited ${code}: ${output}`));
      else done(Number(found[1]));
    });
  });
}

describe('HEAP_GROWING_PERCENT: the old generation stays close to what is live', () => {
  let dir: string;
  let probe: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mailroom-heap-'));
    probe = join(dir, 'probe.js');
    writeFileSync(probe, PROBE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('20 keeps it well under what V8 allows on its own (0), and a --heap-growing-percent given to node wins', async () => {
    const tight = await ratio(probe, { HEAP_GROWING_PERCENT: '20' });
    const v8Rule = await ratio(probe, { HEAP_GROWING_PERCENT: '0' });
    const commandLine = await ratio(probe, { HEAP_GROWING_PERCENT: '20' }, ['--heap-growing-percent=300']);
    // Measured here: 2.7-2.8 against 7.5-7.9 for both.
    expect(v8Rule).toBeGreaterThan(tight * 1.8);
    expect(commandLine).toBeGreaterThan(tight * 1.5);
  }, 60_000);

  it('a value that is not a whole number of percent stops the process with one line', async () => {
    await expect(ratio(probe, { HEAP_GROWING_PERCENT: 'lots' })).rejects.toThrow(/probe exited 1: Invalid configuration: HEAP_GROWING_PERCENT must be a whole number of percent/);
  });
});
