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
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
