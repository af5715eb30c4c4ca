import { randomBytes } from 'node:crypto';
import { loadConfig, type AppConfig } from '@mailroom/config';
import { TEST_REDIS_URL } from './test-env';

/** Configuration for a test: its own database and Redis prefix, quiet logs, loopback everything. */
export function testConfig(databaseUrl: string, env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: `test-${randomBytes(4).toString('hex')}`,
    MAIL_HOSTNAME: 'mx.mailroom.test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
}
