import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountKey, runBuilt } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

const CLI = 'dist/apps/cli/src/main.js';

/** The operator imports a CSV into a list from the shell and watches it go. */
describe('CLI list:import', () => {
  let api: TestApi;
  let dir: string;
  const cli = (...args: string[]) => runBuilt(CLI, args, { DATABASE_URL: api.db.url });

  beforeAll(async () => {
    api = await startTestApi();
    dir = mkdtempSync(join(tmpdir(), 'mailroom-import-'));
  });

  afterAll(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports the file into the list, printing progress and the final counts with the rejected rows', async () => {
    const { key } = await createAccountKey(api, 'importer');
    const list = await api.request('POST', '/v1/lists', { key, body: { name: 'From a file' } });
    const rows = Array.from({ length: 12_000 }, (_, i) => `member${i}@example.com,Member ${i}`);
    rows[100] = 'broken-address,Broken';
    rows[200] = 'member0@example.com,Again';
    const file = join(dir, 'members.csv');
    writeFileSync(file, `email,name\n${rows.join('\n')}\n`);

    const run = await cli('list:import', list.body.id, file);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('members.csv');
    expect(run.stderr).toMatch(/^read 5000, added 4998, updated 0, rejected 2$/m);
    expect(run.stderr).toMatch(/^read 10000, added 9998, updated 0, rejected 2$/m);
    const [summary, ...rejects] = run.stdout.trim().split('\n');
    expect(summary).toMatch(/^import [0-9a-f-]{36} done in [\d.]+ s: read 12000, added 11998, updated 0, rejected 2$/);
    expect(rejects).toEqual(['  line 102: bad_address broken-address', '  line 202: duplicate member0@example.com']);
    expect((await api.request('GET', `/v1/lists/${list.body.id}`, { key })).body.counts.subscribed).toBe(11_998);

    const missing = await cli('list:import', '00000000-0000-4000-8000-000000000000', file);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no list');
  });
});
