/**
 * The CSV import part of `npm run bench:campaign` (also alone: `npm run bench:campaign -- --only import`).
 *
 * For each size (--import-sizes, default 100000,1000000): a CSV of that many contacts (email,
 * name, plan, city) is written to a temporary file; PostgreSQL's own COPY of that file into a
 * bare table (no keys, no indexes) is timed, then Mailroom's import of the same file into a list
 * through the real HTTP API (POST /v1/imports, a real api process, the file streamed from disk),
 * in a fresh installation per size; then the same file through the CLI's list:import (a process
 * that does only the import) in another fresh installation. Printed: the times and rates, the
 * ratios (target: the import at least half COPY's rate) and each importing process's peak RSS
 * (target: < 300 MB).
 */
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '@mailroom/testing';
import { BenchInstallation } from '../lib/installation';
import { cpuSeconds, cpuSecondsOf, fmt, peakRssMiB } from '../lib/measure';

export interface ImportBenchResult {
  rows: number;
  bytes: number;
  copyMs: number;
  importMs: number;
  /** import rate / COPY rate: at least 0.5 is the target. */
  ratio: number;
  apiPeakRssMiB: number;
  apiCpuSeconds: number;
  postgresCpuSeconds: number;
  result: { rows_read: number; added: number; updated: number; rejected: number; status: string };
  /** The same file through `list:import` (CLI process), in a fresh installation. */
  cliMs: number;
  cliPeakRssMiB: number;
}

function sizes(): number[] {
  const argv = process.argv.slice(2);
  const at = argv.findIndex((a) => a === '--import-sizes' || a.startsWith('--import-sizes='));
  const value = at < 0 ? (process.env.BENCH_IMPORT_SIZES ?? '100000,1000000') : argv[at]!.includes('=') ? argv[at]!.split('=')[1]! : argv[at + 1]!;
  return value.split(',').map(Number).filter((n) => n > 0);
}

/** A CSV of `rows` distinct contacts, written in blocks (the benchmark's own memory stays small). */
function writeCsv(path: string, rows: number): number {
  const plans = ['free', 'pro', 'team'];
  const cities = ['Lisbon', 'Oslo', 'Lyon', 'Kyoto', 'Quito', 'Accra'];
  writeFileSync(path, 'email,name,plan,city\n');
  for (let from = 0; from < rows; from += 100_000) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(rows, from + 100_000); i++) lines.push(`reader${i}.${(i * 7919) % 100_003}@inbox${i % 97}.example.com,Reader ${i},${plans[i % 3]},${cities[i % 6]}`);
    writeFileSync(path, `${lines.join('\n')}\n`, { flag: 'a' });
  }
  return statSync(path).size;
}

/** POST the file as the body, streamed from disk, as `curl --data-binary @file` does. */
function upload(url: string, key: string, path: string, bytes: number): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv', 'content-length': String(bytes) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    createReadStream(path).pipe(req);
  });
}

async function one(rows: number, dir: string): Promise<ImportBenchResult> {
  const file = join(dir, `contacts-${rows}.csv`);
  const bytes = writeCsv(file, rows);
  const mr = await BenchInstallation.create();
  const pg = new Client({ connectionString: mr.databaseUrl });
  pg.on('error', () => undefined); // the database is dropped under it at the end
  let closed = false;
  try {
    await pg.connect();
    // PostgreSQL's side: COPY of the same file into a bare table, in the same database.
    await pg.query('CREATE TABLE bench_bare_import (email text, name text, plan text, city text)');
    await pg.query('CHECKPOINT');
    let started = performance.now();
    await pipeline(createReadStream(file), pg.query(copyFrom('COPY bench_bare_import FROM STDIN (FORMAT csv, HEADER)')));
    const copyMs = performance.now() - started;
    await pg.query('DROP TABLE bench_bare_import');

    // Mailroom's side: the real API process, the file through POST /v1/imports into a list.
    const api = mr.start('api', 'api');
    await mr.waitForApi();
    const { key } = await mr.sendingAccount('news.example');
    const list = await mr.call('POST', '/v1/lists', key, { name: 'Imported' });
    await pg.query('CHECKPOINT');
    const cpuBefore = { api: cpuSeconds(api.pid!), postgres: cpuSecondsOf('postgres') };
    started = performance.now();
    const res = await upload(`${mr.apiBase}/v1/imports?list_id=${list.id}&filename=contacts.csv`, key, file, bytes);
    const importMs = performance.now() - started;
    if (res.status !== 201) throw new Error(`import: ${res.status} ${JSON.stringify(res.body)}`);
    const result: ImportBenchResult = {
      rows,
      bytes,
      copyMs,
      importMs,
      ratio: copyMs / importMs,
      apiPeakRssMiB: peakRssMiB(api.pid!),
      apiCpuSeconds: cpuSeconds(api.pid!) - cpuBefore.api,
      postgresCpuSeconds: cpuSecondsOf('postgres') - cpuBefore.postgres,
      result: res.body,
      cliMs: Number.NaN,
      cliPeakRssMiB: Number.NaN,
    };
    await pg.end();
    await mr.close();
    closed = true;

    // The same file through the CLI (list:import) into a fresh installation: the process doing
    // the import is then the CLI alone, whose peak RSS is the importer's (the api process also
    // holds the whole HTTP API, ~260 MiB before any import).
    const cli = await BenchInstallation.create();
    try {
      const cliPg = new Client({ connectionString: cli.databaseUrl });
      await cliPg.connect();
      const accountId = (await cliPg.query<{ id: string }>(`INSERT INTO accounts (id, name) VALUES (gen_random_uuid(), 'cli') RETURNING id`)).rows[0]!.id;
      const listId = (await cliPg.query<{ id: string }>(`INSERT INTO contact_lists (id, account_id, name, list_id_header) VALUES (gen_random_uuid(), $1, 'Imported', 'imported.example.com') RETURNING id`, [accountId])).rows[0]!.id;
      await cliPg.query('CHECKPOINT');
      await cliPg.end();
      started = performance.now();
      const child = spawn(process.execPath, [resolve(REPO_ROOT, 'dist/apps/cli/src/main.js'), 'list:import', listId, file, '--json'], { env: { ...process.env, ...cli.env }, cwd: REPO_ROOT });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      let peak = 0;
      const poll = setInterval(() => (peak = Math.max(peak, peakRssMiB(child.pid!) || 0)), 50);
      const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
      clearInterval(poll);
      result.cliMs = performance.now() - started;
      result.cliPeakRssMiB = peak;
      if (code !== 0) throw new Error(`list:import exited ${code}: ${output.slice(-2000)}`);
    } finally {
      await cli.close();
    }
    console.log(
      `  ${fmt(rows).padStart(9)} rows (${fmt(bytes / 1048576, 1)} MiB)   COPY ${fmt(copyMs).padStart(6)} ms = ${fmt(rows / (copyMs / 1000)).padStart(9)} rows/s   ` +
        `import ${fmt(importMs).padStart(6)} ms = ${fmt(rows / (importMs / 1000)).padStart(9)} rows/s   ratio ${fmt(result.ratio, 2)}   ` +
        `api peak RSS ${fmt(result.apiPeakRssMiB)} MiB, CPU ${fmt(result.apiCpuSeconds, 1)} s; postgres CPU ${fmt(result.postgresCpuSeconds, 1)} s   ` +
        `(${res.body.status}: read ${fmt(res.body.rows_read)}, added ${fmt(res.body.added)}, rejected ${fmt(res.body.rejected)})\n` +
        `  ${' '.repeat(9)}      CLI list:import ${fmt(result.cliMs).padStart(6)} ms = ${fmt(rows / (result.cliMs / 1000)).padStart(9)} rows/s   ratio ${fmt(copyMs / result.cliMs, 2)}   CLI peak RSS ${fmt(result.cliPeakRssMiB)} MiB`,
    );
    return result;
  } finally {
    await pg.end().catch(() => undefined);
    if (!closed) await mr.close();
    rmSync(file, { force: true });
  }
}

/** Runs every size; the entry point (bench/campaign/index.ts) calls it. */
export async function benchImport(): Promise<ImportBenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-bench-import-'));
  const results: ImportBenchResult[] = [];
  try {
    for (const rows of sizes()) results.push(await one(rows, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
