/** Where the tests find PostgreSQL and Redis; CI and developers may point elsewhere. */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/**
 * The migrated database each test file clones: one per `npm test` run (global-setup names it and
 * hands the name to the test processes), so two runs at once on one PostgreSQL do not collide.
 */
export const TEMPLATE_DB_ENV = 'MAILROOM_TEST_TEMPLATE_DB';
export const TEMPLATE_DB = process.env[TEMPLATE_DB_ENV] ?? 'mailroom_test_template';

export function databaseUrl(name: string): string {
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
