import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, freePort, signalAndWait, spawnBuilt, waitForOutput, type TestDatabase } from '@mailroom/testing';

/**
 * What the imap process loads (issue 15: 100 sessions in 150 MB). Its paths are all raw SQL, so
 * it never loads Prisma's client (about 9 MiB of modules, and 20 MiB more once started), and the
 * self-signed certificate generator (about 28 MiB) only when it has a certificate to make: a
 * second start on the same database finds the certificate stored. A probe preloaded into the
 * process reports, on SIGUSR2, which of them are in its module cache.
 */
const PROBE = `
process.on('SIGUSR2', () => {
  const loaded = Object.keys(require.cache);
  const has = (pattern) => loaded.some((file) => pattern.test(file));
  process.stdout.write('FOOTPRINT ' + JSON.stringify({ prisma: has(/generated[\\\\/]client|@prisma[\\\\/]client/), selfsigned: has(/node_modules[\\\\/]selfsigned/) }) + '\\n');
});
`;

describe('imap process footprint', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'mailroom-footprint-'));
    writeFileSync(join(dir, 'probe.js'), PROBE);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  async function footprint(): Promise<{ prisma: boolean; selfsigned: boolean }> {
    const imap = spawnBuilt('dist/apps/imap/src/main.js', {
      DATABASE_URL: db.url,
      IMAP_PORT: String(await freePort()),
      IMAPS_PORT: String(await freePort()),
      POP3_PORT: String(await freePort()),
      POP3S_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
      SECRET_KEY: '',
      NODE_OPTIONS: `--require ${join(dir, 'probe.js')}`,
    });
    try {
      await waitForOutput(imap, 'imap ready');
      imap.kill('SIGUSR2');
      await waitForOutput(imap, 'FOOTPRINT ', 10_000);
      return JSON.parse(/FOOTPRINT (.*)/.exec(imap.output())![1]!) as { prisma: boolean; selfsigned: boolean };
    } finally {
      await signalAndWait(imap, 'SIGTERM');
    }
  }

  it('never loads Prisma, and the certificate generator only to make the first certificate', async () => {
    expect(await footprint()).toEqual({ prisma: false, selfsigned: true });
    expect(await footprint()).toEqual({ prisma: false, selfsigned: false });
  }, 120_000);
});
