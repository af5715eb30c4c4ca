#!/usr/bin/env node
// Builds the dashboard (apps/dashboard) with Vite into dist/dashboard, which the API serves at /.
// Skipped when nothing under apps/dashboard changed since the last dashboard build (unless
// --force), so server-only builds stay fast. Then prints how much JavaScript the first page load
// fetches, gzipped, and fails when it is over the budget.
'use strict';
const { createHash } = require('node:crypto');
const { existsSync, readFileSync, readdirSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const { gzipSync } = require('node:zlib');

const ROOT = join(__dirname, '..');
const SOURCE = join(ROOT, 'apps/dashboard');
const OUT = join(ROOT, 'dist/dashboard');
const STAMP = join(OUT, '.source-digest');
const BUDGET_KB = 300;
/** Files from libs/ that the dashboard imports (each must import nothing from the server). */
const SHARED = ['libs/events/src/event-types.ts'];

/** A digest of every dashboard source (its tests aside) and of the Vite that builds it. */
function sourceDigest() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'test' && entry.name !== 'node_modules') walk(path);
      } else {
        hash.update(relative(SOURCE, path)).update('\0').update(readFileSync(path)).update('\0');
      }
    }
  };
  walk(SOURCE);
  // Outside apps/dashboard but bundled into it (webhooks-page.tsx imports the event types).
  for (const shared of SHARED) hash.update(shared).update('\0').update(readFileSync(join(ROOT, shared))).update('\0');
  hash.update(require(join(ROOT, 'node_modules/vite/package.json')).version);
  return hash.digest('hex');
}

/** The scripts index.html loads at once (the entry and its modulepreloads), gzipped. */
function firstLoad() {
  const html = readFileSync(join(OUT, 'index.html'), 'utf8');
  const files = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="\/([^"]+\.js)"/g)].map((m) => m[1]);
  const sizes = files.map((file) => gzipSync(readFileSync(join(OUT, file)), { level: 9 }).length);
  const all = readdirSync(join(OUT, 'assets')).filter((f) => f.endsWith('.js'));
  const total = all.reduce((sum, f) => sum + gzipSync(readFileSync(join(OUT, 'assets', f)), { level: 9 }).length, 0);
  return { files: files.length, bytes: sizes.reduce((a, b) => a + b, 0), chunks: all.length, total };
}

async function main(argv) {
  const digest = sourceDigest();
  const fresh = existsSync(STAMP) && readFileSync(STAMP, 'utf8') === digest && existsSync(join(OUT, 'index.html'));
  if (argv.includes('--force') || !fresh) {
    const { build } = await import('vite');
    await build({ configFile: join(SOURCE, 'vite.config.mjs'), logLevel: 'warn' });
    writeFileSync(STAMP, digest);
  }
  const load = firstLoad();
  const kb = (bytes) => (bytes / 1024).toFixed(1);
  process.stdout.write(
    `dashboard: first load ${kb(load.bytes)} KB of JavaScript gzipped in ${load.files} file(s) (budget ${BUDGET_KB} KB); ${load.chunks} chunks, ${kb(load.total)} KB gzipped in all\n`,
  );
  if (load.bytes > BUDGET_KB * 1024) {
    process.stderr.write(`dashboard: the first load is over the ${BUDGET_KB} KB budget\n`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`dashboard build failed: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
