import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@mailroom/testing';
import { migrate } from '@mailroom/db';

/**
 * The migrations are written by hand (no schema engine here), so this test is what keeps them
 * honest: every model, field, enum, index, unique constraint and foreign key in schema.prisma
 * must exist in a freshly migrated database with the same type, nullability and default, and
 * the database must hold nothing the schema does not describe.
 */

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUnique: boolean;
  hasDefault?: boolean;
  hasDefaultValue: boolean;
  type: string;
  nativeType?: [string, string[]] | null;
  default?: unknown;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { fields: string[] } | null;
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'normal' | 'unique' | 'fulltext';
  fields: Array<{ name: string; sortOrder?: 'asc' | 'desc' }>;
}
interface Dmmf {
  datamodel: { models: DmmfModel[]; enums: Array<{ name: string; dbName: string | null; values: Array<{ name: string }> }>; indexes: DmmfIndex[] };
}

const schema = readFileSync(resolve(__dirname, '../../../prisma/schema.prisma'), 'utf8');
const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schema]] }))) as Dmmf;

const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  DateTime: 'timestamp without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
  Float: 'double precision',
  Decimal: 'numeric',
};
const NATIVE_TYPES: Record<string, string> = {
  Uuid: 'uuid',
  Timestamptz: 'timestamp with time zone',
  Date: 'date',
  Text: 'text',
};

const column = (f: DmmfField) => f.dbName ?? f.name;
const table = (m: DmmfModel) => m.dbName ?? m.name;
const enumDbName = (name: string) => dmmf.datamodel.enums.find((e) => e.name === name)?.dbName ?? name;

describe('prisma/schema.prisma and the migrated database', () => {
  let db: TestDatabase;
  let pg: Client;

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    await migrate(db.url);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await db?.drop();
  });

  async function columns(tableName: string) {
    const { rows } = await pg.query<{ column_name: string; data_type: string; udt_name: string; is_nullable: string; column_default: string | null }>(
      `SELECT column_name, data_type, udt_name, is_nullable, column_default FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = $1`,
      [tableName],
    );
    return new Map(rows.map((r) => [r.column_name, r]));
  }

  it('has exactly the tables of the schema (plus _prisma_migrations)', async () => {
    const { rows } = await pg.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const expected = [...dmmf.datamodel.models.map(table), '_prisma_migrations'].sort();
    expect(rows.map((r) => r.table_name).sort()).toEqual(expected);
  });

  it('has every enum with the same values, in order', async () => {
    for (const e of dmmf.datamodel.enums) {
      const { rows } = await pg.query<{ enumlabel: string }>(
        `SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = $1 ORDER BY e.enumsortorder`,
        [e.dbName ?? e.name],
      );
      expect(rows.map((r) => r.enumlabel), `enum ${e.name}`).toEqual(e.values.map((v) => v.name));
    }
  });

  for (const model of dmmf.datamodel.models) {
    it(`model ${model.name}: every field is a column of the right type, nullability and default`, async () => {
      const cols = await columns(table(model));
      const scalars = model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
      expect([...cols.keys()].sort(), `columns of ${table(model)}`).toEqual(scalars.map(column).sort());
      for (const field of scalars) {
        const col = cols.get(column(field))!;
        const where = `${model.name}.${field.name}`;
        if (field.isList) {
          expect(col.data_type, where).toBe('ARRAY');
          const element = field.nativeType?.[0] === 'Uuid' ? 'uuid' : SCALAR_TYPES[field.type] === 'text' ? 'text' : field.type.toLowerCase();
          expect(col.udt_name, where).toBe(`_${element}`);
        } else if (field.kind === 'enum') {
          expect(col.data_type, where).toBe('USER-DEFINED');
          expect(col.udt_name, where).toBe(enumDbName(field.type));
        } else {
          const native = field.nativeType?.[0];
          expect(col.data_type, where).toBe(native ? NATIVE_TYPES[native] : SCALAR_TYPES[field.type]);
        }
        // Prisma lists are nullable columns; everything else follows the ? in the schema.
        expect(col.is_nullable, `${where} nullability`).toBe(field.isList || !field.isRequired ? 'YES' : 'NO');
        const dbDefault = col.column_default !== null;
        const autoincrement = (field.default as { name?: string } | undefined)?.name === 'autoincrement';
        const appDefault = ['uuid', 'cuid', 'nanoid'].includes((field.default as { name?: string } | undefined)?.name ?? '');
        expect(dbDefault, `${where} default`).toBe(field.hasDefaultValue && !appDefault);
        if (autoincrement) expect(col.column_default, where).toMatch(/^nextval\(/);
        if (typeof field.default === 'boolean' || typeof field.default === 'number') {
          expect(col.column_default, where).toBe(String(field.default));
        }
        if (typeof field.default === 'string' && field.kind === 'enum') {
          expect(col.column_default, where).toBe(`'${field.default}'::${enumDbName(field.type)}`);
        }
      }
    });
  }

  it('has every primary key, unique constraint and index of the schema, and no others', async () => {
    const { rows } = await pg.query<{ table_name: string; indexdef: string; is_unique: boolean; is_primary: boolean; columns: string[]; options: number[] }>(`
      SELECT t.relname AS table_name, pg_get_indexdef(i.indexrelid) AS indexdef, i.indisunique AS is_unique,
             i.indisprimary AS is_primary,
             ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns,
             i.indoption::int2[] AS options
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'`);
    const actual = rows
      .map((r) => {
        const cols = r.columns.map((c, i) => (r.options[i] & 1 ? `${c} desc` : c)).join(',');
        return `${r.table_name} ${r.is_primary ? 'id' : r.is_unique ? 'unique' : 'normal'} (${cols})`;
      })
      .sort();

    const expected: string[] = [];
    for (const model of dmmf.datamodel.models) {
      const fieldColumn = (name: string) => column(model.fields.find((f) => f.name === name)!);
      for (const field of model.fields) {
        if (field.isUnique) expected.push(`${table(model)} unique (${column(field)})`);
      }
      for (const index of dmmf.datamodel.indexes.filter((i) => i.model === model.name)) {
        const cols = index.fields.map((f) => fieldColumn(f.name) + (f.sortOrder === 'desc' ? ' desc' : '')).join(',');
        const kind = index.type === 'id' ? 'id' : index.type === 'unique' ? 'unique' : 'normal';
        const entry = `${table(model)} ${kind} (${cols})`;
        if (!expected.includes(entry)) expected.push(entry);
      }
    }
    expect(actual).toEqual(expected.sort());
  });

  it('has every relation as a foreign key with the same referential actions', async () => {
    const { rows } = await pg.query<{ table_name: string; columns: string[]; ref_table: string; ref_columns: string[]; on_delete: string }>(`
      SELECT c.conrelid::regclass::text AS table_name,
             ARRAY(SELECT a.attname FROM unnest(c.conkey) k JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k)::text[] AS columns,
             c.confrelid::regclass::text AS ref_table,
             ARRAY(SELECT a.attname FROM unnest(c.confkey) k JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k)::text[] AS ref_columns,
             c.confdeltype AS on_delete
        FROM pg_constraint c WHERE c.contype = 'f'`);
    const ACTION: Record<string, string> = { a: 'NoAction', r: 'Restrict', c: 'Cascade', n: 'SetNull', d: 'SetDefault' };
    const actual = rows.map((r) => `${r.table_name}(${r.columns.join(',')}) -> ${r.ref_table}(${r.ref_columns.join(',')}) on delete ${ACTION[r.on_delete]}`).sort();
    const expected: string[] = [];
    for (const model of dmmf.datamodel.models) {
      for (const field of model.fields.filter((f) => f.kind === 'object' && f.relationFromFields?.length)) {
        const target = dmmf.datamodel.models.find((m) => m.name === field.type)!;
        const from = field.relationFromFields!.map((n) => column(model.fields.find((f) => f.name === n)!));
        const to = field.relationToFields!.map((n) => column(target.fields.find((f) => f.name === n)!));
        const onDelete = field.relationOnDelete ?? (field.isRequired ? 'Restrict' : 'SetNull');
        expected.push(`${table(model)}(${from.join(',')}) -> ${table(target)}(${to.join(',')}) on delete ${onDelete}`);
      }
    }
    expect(actual).toEqual(expected.sort());
  });
});
