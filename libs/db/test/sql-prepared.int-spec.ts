import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sql } from '@mailroom/db';
import { createTestDatabase, testConfig, type TestDatabase } from '@mailroom/testing';

/**
 * Sql.prepareRepeated: a statement text run a few times becomes a named prepared statement of
 * the connection (seen in pg_prepared_statements), answers stay the same, and nothing is
 * prepared while the switch is off or for a text holding `;`. One connection, so the session
 * asked is the one that ran the statements.
 */
describe('Sql: repeated statements prepared when enabled', () => {
  let db: TestDatabase;
  let sql: Sql;

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    // One connection (below what the configuration allows, hence set after validation).
    sql = new Sql({ ...testConfig(db.url), DATABASE_POOL_SIZE: 1 });
  });

  afterAll(async () => {
    await sql?.onApplicationShutdown();
    await db?.drop();
  });

  const prepared = async () => (await sql.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements')).map((r) => r.statement);

  it('prepares a text from its third run on, and only when switched on', async () => {
    const text = 'SELECT $1::int + 1 AS n';
    for (let i = 0; i < 4; i++) expect(await sql.query(text, [i])).toEqual([{ n: i + 1 }]);
    expect(await prepared()).toEqual([]);

    sql.prepareRepeated = true;
    const other = 'SELECT $1::int * 2 AS n';
    for (let i = 0; i < 2; i++) expect(await sql.query(other, [i])).toEqual([{ n: i * 2 }]);
    expect(await prepared()).not.toContain(other);
    for (let i = 2; i < 6; i++) expect(await sql.query(other, [i])).toEqual([{ n: i * 2 }]);
    expect(await prepared()).toContain(other);

    const withSemicolon = "SELECT $1::text AS t WHERE ';' <> ''";
    for (let i = 0; i < 5; i++) expect(await sql.query(withSemicolon, [`v${i}`])).toEqual([{ t: `v${i}` }]);
    expect(await prepared()).not.toContain(withSemicolon);
  });
});
