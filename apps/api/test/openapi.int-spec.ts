import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

const ROOT = resolve(__dirname, '../../..');
const { typesOf } = createRequire(__filename)(join(ROOT, 'scripts/openapi.js')) as { typesOf(document: unknown): Promise<string> };

/**
 * /docs/openapi.json is complete: Redocly's recommended rules find nothing, and the dashboard's
 * client types (apps/dashboard/src/api/schema.d.ts, which the dashboard compiles against in
 * `npm run typecheck` and the build) are exactly what the live document generates.
 */
describe('the OpenAPI document', () => {
  let api: TestApi;
  let document: any;

  beforeAll(async () => {
    api = await startTestApi({ PUBLIC_URL: 'https://mail.acme.test' });
    document = (await api.request('GET', '/docs/openapi.json')).body;
  });

  afterAll(async () => {
    await api?.close();
  });

  it('passes Redocly\'s recommended lint with no error and no warning', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const cli = join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');
    const run = spawnSync(process.execPath, [cli, 'lint', file, '--extends=recommended', '--format=json', '--max-problems=1000'], {
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      timeout: 120_000,
    });
    const report = JSON.parse(run.stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }> };
    const problems = report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('documents every operation with a summary, its answers and its security', () => {
    for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(operation.summary, where).toBeTruthy();
        const statuses = Object.keys(operation.responses);
        expect(statuses.some((s) => s.startsWith('2')), where).toBe(true);
        expect(statuses.some((s) => s.startsWith('4')), where).toBe(true);
        for (const status of statuses.filter((s) => s !== '204')) expect(Object.values<any>(operation.responses[status].content ?? {})[0]?.schema, `${where} ${status}`).toBeTruthy();
        expect(operation.security, where).toBeDefined();
      }
    }
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['bearer', 'session']);
    expect(document.servers).toEqual([{ url: 'https://mail.acme.test', description: expect.any(String) }]);
  });

  it('lists the Idempotency-Key header once, optional', () => {
    for (const path of ['/v1/messages', '/v1/messages/batch']) {
      const headers = document.paths[path].post.parameters.filter((p: { in: string }) => p.in === 'header');
      expect(headers.map((h: { name: string; required?: boolean }) => [h.name, h.required ?? false])).toEqual([['Idempotency-Key', false]]);
    }
  });

  it('generates the client types the dashboard compiles against', async () => {
    const committed = readFileSync(join(ROOT, 'apps/dashboard/src/api/schema.d.ts'), 'utf8');
    expect(await typesOf(document), 'apps/dashboard/src/api/schema.d.ts is stale: run npm run openapi').toBe(committed);
  });
});
