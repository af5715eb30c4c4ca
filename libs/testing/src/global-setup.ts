import { Client } from 'pg';
import { migrate } from '@mailroom/db';
import { TEMPLATE_DB, TEST_PG_URL, databaseUrl } from './test-env';

/**
 * Once per test run: a fresh, migrated template database. Each test file then clones it
 * (CREATE DATABASE ... TEMPLATE), which is much faster than migrating every time.
 */
export default async function setup(): Promise<void> {
  const admin = new Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await migrate(databaseUrl(TEMPLATE_DB));
}
