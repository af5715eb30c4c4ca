import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // SWC, not esbuild: Nest's dependency injection needs emitted decorator metadata.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: [{ find: /^@mailroom\/([a-z-]+)$/, replacement: resolve(__dirname, 'libs/$1/src') }],
  },
  test: {
    include: ['{apps,libs}/**/*.spec.ts', '{apps,libs}/**/*.int-spec.ts'],
    globalSetup: ['libs/testing/src/global-setup.ts'],
    pool: 'forks',
    // Three test files at a time (Vitest would run one on a 2-core machine): most of a file's time
    // is waiting on the processes, sockets and databases it drives, and each file has its own
    // database and Redis prefix. The suite took 940 s one file at a time on a quiet machine, 650 s
    // two at a time and 575 s three at a time (2 cores, 146 files); two `npm test` at once, three
    // files each, pass too.
    maxWorkers: Number(process.env.TEST_MAX_WORKERS ?? 3),
    minWorkers: 1,
    // Guards against a hang, not speed limits: tests that start processes (the built CLI, npm
    // start, whole installations) take several times as long on a machine busy with other work,
    // and a 30 s limit failed them there. Waits inside tests are bounded by condition (until()).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
