import { Client } from 'pg';
import { migrate } from '@mailroom/db';
import { TEMPLATE_DB_ENV, TEST_PG_URL, databaseUrl } from './test-env';

async function dropDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * Once per test run: a fresh, migrated template database. Each test file then clones it
 * (CREATE DATABASE ... TEMPLATE), which is much faster than migrating every time. The template
 * is this run's own (named after the process), so runs started at the same time by several
 * people or CI jobs on one PostgreSQL neither drop nor recreate each other's.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const template = `mailroom_test_template_${process.pid}`;
  process.env[TEMPLATE_DB_ENV] = template; // inherited by the test processes, forked after this
  await dropDatabase(template);
  await migrate(databaseUrl(template));
  return () => dropDatabase(template);
}
