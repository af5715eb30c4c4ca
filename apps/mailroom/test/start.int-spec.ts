import { afterAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { TEST_PG_URL, databaseUrl, freePort, mailListenerPorts, runBuilt, spawnBuilt, until } from '@mailroom/testing';

const MAIN = 'dist/apps/mailroom/src/main.js';

describe('npm start (everything in one process)', () => {
  const name = `mailroom_test_start_${Date.now()}`;

  afterAll(async () => {
    const client = new Client({ connectionString: TEST_PG_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });

  it('creates the missing database, migrates, answers /health with 200 and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawnBuilt(MAIN, {
      DATABASE_URL: databaseUrl(name),
      HTTP_PORT: String(port),
      ...(await mailListenerPorts()),
      REDIS_PREFIX: `test-start-${port}`,
      LOG_LEVEL: 'info',
    });
    try {
      let status = 0;
      await until(async () => (status = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0)) === 200 || child.exitCode !== null, {
        intervalMs: 200,
      });
      expect(status, child.output()).toBe(200);
      const lines = child.output().trim().split('\n');
      for (const line of lines) expect(() => JSON.parse(line), `log line is JSON: ${line}`).not.toThrow();
      expect(child.output()).toContain(`created database ${name}`);
      expect(child.output()).toContain('applied 20261123000000_init');
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('refuses bad configuration with one line naming the variable', async () => {
    const result = await runBuilt(MAIN, [], { HTTP_PORT: 'eighty' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Invalid configuration: HTTP_PORT must be a port number (got "eighty")\n');
  });
});
