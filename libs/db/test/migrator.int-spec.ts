import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { findMigrationsDir, migrate, readMigrations } from '@mailroom/db';
import { createTestDatabase, databaseUrl, type TestDatabase } from '@mailroom/testing';

async function query<T extends object>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('db:migrate', () => {
  const dropLater: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.all(dropLater.splice(0).map((db) => db.drop()));
  });

  it('creates a missing database, applies every migration and records it as prisma migrate deploy does', async () => {
    const name = `mailroom_test_missing_${Date.now()}`;
    const url = databaseUrl(name);
    dropLater.push({ name, url, drop: () => query(databaseUrl('postgres'), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined) });

    const result = await migrate(url);
    const local = readMigrations();
    expect(result.createdDatabase).toBe(true);
    expect(result.applied).toEqual(local.map((m) => m.name));

    const rows = await query<{ id: string; checksum: string; migration_name: string; finished_at: Date | null; rolled_back_at: Date | null; logs: string | null; applied_steps_count: number }>(
      url,
      'SELECT * FROM "_prisma_migrations" ORDER BY started_at',
    );
    expect(rows).toHaveLength(local.length);
    for (const [i, row] of rows.entries()) {
      const sql = readFileSync(join(findMigrationsDir(), row.migration_name, 'migration.sql'));
      expect(row.migration_name).toBe(local[i].name);
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    const columns = await query<{ column_name: string; data_type: string }>(
      url,
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => `${c.column_name}:${c.data_type}`)).toEqual([
      'id:character varying',
      'checksum:character varying',
      'finished_at:timestamp with time zone',
      'migration_name:character varying',
      'logs:text',
      'rolled_back_at:timestamp with time zone',
      'started_at:timestamp with time zone',
      'applied_steps_count:integer',
    ]);
  });

  it('is idempotent: a second run applies nothing', async () => {
    const db = await createTestDatabase({ empty: true });
    dropLater.push(db);
    await migrate(db.url);
    const again = await migrate(db.url);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBe(readMigrations().length);
  });

  it('rolls a failing migration back whole, records the failure, and applies it once fixed', async () => {
    const db = await createTestDatabase({ empty: true });
    dropLater.push(db);
    const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
    mkdirSync(join(dir, '001_ok'));
    writeFileSync(join(dir, '001_ok', 'migration.sql'), 'CREATE TABLE a (id int);');
    mkdirSync(join(dir, '002_bad'));
    writeFileSync(join(dir, '002_bad', 'migration.sql'), 'CREATE TABLE b (id int);\nSELECT nope FROM missing;');

    await expect(migrate(db.url, { dir })).rejects.toThrow(/002_bad failed and was rolled back/);
    const tables = await query<{ table_name: string }>(db.url, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
    expect(tables.map((t) => t.table_name)).toEqual(['_prisma_migrations', 'a']); // no half-applied b
    const failed = await query<{ logs: string; rolled_back_at: Date | null; finished_at: Date | null }>(db.url, `SELECT * FROM "_prisma_migrations" WHERE migration_name = '002_bad'`);
    expect(failed[0].logs).toMatch(/missing/);
    expect(failed[0].rolled_back_at).toBeInstanceOf(Date);
    expect(failed[0].finished_at).toBeNull();

    writeFileSync(join(dir, '002_bad', 'migration.sql'), 'CREATE TABLE b (id int);');
    const fixed = await migrate(db.url, { dir });
    expect(fixed.applied).toEqual(['002_bad']);
  });
});
