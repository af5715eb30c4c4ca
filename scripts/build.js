#!/usr/bin/env node
// Compiles apps/, libs/ and bench/ into dist/ with swc. `--if-stale` compiles only when a source
// is newer than the last build (or one was added, removed or renamed), so `npm run cli` and
// `npm start` answer at once when nothing changed instead of paying for a build every time.
//
// The last build is kept in dist/.build-stamp: its mtime is when that build started (a file saved
// during a build is newer, so the next run compiles again) and its content lists the inputs.
// Concurrent runs take turns through dist/.build-lock, so two of them never write dist/ at once.
'use strict';
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.build-stamp');
const LOCK = join(DIST, '.build-lock');
const SOURCE_DIRS = ['apps', 'libs', 'bench'];
// Files outside the sources that change what swc writes.
const CONFIG_FILES = ['.swcrc', 'package.json', 'package-lock.json', 'tsconfig.json'];
// apps/dashboard is a browser app: Vite builds it (scripts/build-dashboard.js), not swc.
const SWC_ARGS = [...SOURCE_DIRS, '-d', 'dist', '-q', '--ignore', '**/*.spec.ts,**/test/**,apps/dashboard/**'];
const LOCK_STALE_MS = 120_000;

/** What the build reads: every compiled source (specs and test/ folders are not compiled). */
function inputs() {
  const files = CONFIG_FILES.filter((f) => existsSync(join(ROOT, f)));
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'test' && entry.name !== 'node_modules' && entry.name !== 'results') walk(path);
      } else if (/\.(ts|tsx|js|json|cjs|mjs|css|html|svg)$/.test(entry.name) && !entry.name.endsWith('.spec.ts')) {
        files.push(relative(ROOT, path));
      }
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(ROOT, dir))) walk(join(ROOT, dir));
  return files.sort();
}

function listDigest(files) {
  return createHash('sha256').update(files.join('\n')).digest('hex');
}

/** Why a build is needed, or null when dist/ is up to date. */
function staleReason() {
  let stamp;
  try {
    stamp = { mtimeMs: statSync(STAMP).mtimeMs, ...JSON.parse(readFileSync(STAMP, 'utf8')) };
  } catch {
    return 'no build yet';
  }
  const files = inputs();
  if (stamp.inputs !== listDigest(files)) return 'sources added, removed or renamed';
  for (const file of files) {
    if (statSync(join(ROOT, file)).mtimeMs > stamp.mtimeMs) return `${file} changed`;
  }
  return null;
}

function build(force) {
  const startedAt = new Date();
  const files = inputs();
  const swc = require.resolve('@swc/cli/bin/swc.js', { paths: [ROOT] });
  const result = spawnSync(process.execPath, [swc, ...SWC_ARGS], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) return result.status ?? 1;
  // A checkout without the dashboard (the build test's trimmed copy) builds the servers alone.
  if (existsSync(join(ROOT, 'apps/dashboard'))) {
    const dashboard = spawnSync(process.execPath, [join(__dirname, 'build-dashboard.js'), ...(force ? ['--force'] : [])], { cwd: ROOT, stdio: 'inherit' });
    if (dashboard.status !== 0) return dashboard.status ?? 1;
  }
  writeFileSync(STAMP, `${JSON.stringify({ inputs: listDigest(files), files: files.length })}\n`);
  utimesSync(STAMP, startedAt, startedAt);
  return 0;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function holderGone() {
  try {
    const pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === 'ESRCH';
  }
}

/** Waits for another build to finish (or to be left behind by a killed one), then holds the lock. */
function lock() {
  mkdirSync(DIST, { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    try {
      if (holderGone() || Date.now() - statSync(LOCK).mtimeMs > LOCK_STALE_MS) rmSync(LOCK, { recursive: true, force: true });
    } catch {
      // released meanwhile
    }
    sleep(100);
  }
}

function main(argv) {
  const ifStale = argv.includes('--if-stale');
  if (ifStale && staleReason() === null) return 0;
  lock();
  try {
    // Another run may have built while this one waited for the lock.
    if (ifStale && staleReason() === null) return 0;
    return build(!ifStale);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

module.exports = { staleReason, inputs };
