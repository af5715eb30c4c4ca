import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { TEST_PG_URL, databaseUrl, freePort, signalAndWait, spawnBuilt, waitForOutput } from '@mailroom/testing';

const MAIN = 'dist/apps/mailroom/src/main.js';
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

/** A redis-server of this test's own, so it can be stopped without touching the shared one. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', () => reject(new Error(`redis-server exited:\n${output}`)));
  });
  return child;
}

describe.skipIf(!hasRedisServer)('Redis going away while Mailroom runs', () => {
  const name = `mailroom_test_outage_${process.pid}`;
  let redis: ChildProcess | undefined;

  afterAll(async () => {
    redis?.kill('SIGKILL');
    const client = new Client({ connectionString: TEST_PG_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });

  it('is warned about once per cause, without a stack trace, not every second', async () => {
    const redisPort = await freePort();
    redis = await startRedis(redisPort);
    const ports = ['HTTP_PORT', 'SMTP_INBOUND_PORT', 'SMTP_SUBMISSION_PORT', 'SMTPS_SUBMISSION_PORT', 'IMAP_PORT', 'IMAPS_PORT', 'POP3_PORT', 'POP3S_PORT'];
    const env: Record<string, string> = { DATABASE_URL: databaseUrl(name), REDIS_URL: `redis://127.0.0.1:${redisPort}`, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' };
    for (const port of ports) env[port] = String(await freePort());
    const child = spawnBuilt(MAIN, env);
    try {
      await expect.poll(() => fetch(`http://127.0.0.1:${env.HTTP_PORT}/health`).then((r) => r.status, () => 0), { timeout: 120_000, interval: 200 }).toBe(200);

      const stopped = new Promise((resolve) => redis!.once('exit', resolve));
      redis.kill('SIGTERM');
      await stopped;
      await waitForOutput(child, 'delivery worker connection error', 120_000);
      // BullMQ retries about every second; give it several seconds of tries.
      await new Promise((r) => setTimeout(r, 6_000));

      const warnings = child
        .output()
        .split('\n')
        .filter((line) => line.includes('delivery worker connection error'));
      // Once per cause (a reset, then refused reconnects), not once per attempt as before.
      const causes = warnings.map((line) => (JSON.parse(line) as { cause: string }).cause);
      expect(causes, child.output()).toEqual([...new Set(causes)]);
      expect(causes.some((cause) => cause.includes('ECONNREFUSED')), child.output()).toBe(true);
      expect(child.output()).not.toContain('"stack"');
    } finally {
      await signalAndWait(child, 'SIGKILL');
    }
  }, 240_000); // a guard against a hang: starting the whole app on a loaded machine takes a while
});
