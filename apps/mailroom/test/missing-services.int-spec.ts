import { describe, expect, it } from 'vitest';
import { databaseUrl, freePort, runBuilt } from '@mailroom/testing';

const MAIN = 'dist/apps/mailroom/src/main.js';
const WORKER = 'dist/apps/worker/src/main.js';
const CLI = 'dist/apps/cli/src/main.js';

/** Ports nothing listens on, so a started process would not collide with anything. */
async function listenerPorts(): Promise<Record<string, string>> {
  const names = ['HTTP_PORT', 'SMTP_INBOUND_PORT', 'SMTP_SUBMISSION_PORT', 'SMTPS_SUBMISSION_PORT', 'IMAP_PORT', 'IMAPS_PORT', 'POP3_PORT', 'POP3S_PORT'];
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, String(await freePort())])));
}

describe('npm start, start:* and the CLI without PostgreSQL or Redis', () => {
  it('npm start with Redis not running: one line naming Redis, where and how to start it; exit 1', async () => {
    const dead = await freePort();
    const result = await runBuilt(MAIN, [], { ...(await listenerPorts()), REDIS_URL: `redis://127.0.0.1:${dead}`, REDIS_PREFIX: `test-missing-${dead}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Mailroom cannot reach Redis at redis://127.0.0.1:${dead} (connection refused). Start it: sudo apt-get install -y redis-server && sudo systemctl start redis-server, or docker compose up -d redis\n`,
    );
    expect(result.stdout).toBe('');
  });

  it('npm start with PostgreSQL not running: one line naming PostgreSQL, where and how to start it; exit 1', async () => {
    const dead = await freePort();
    const result = await runBuilt(MAIN, [], { ...(await listenerPorts()), DATABASE_URL: `postgresql://postgres@127.0.0.1:${dead}/mailroom` });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Mailroom cannot reach PostgreSQL at postgresql://postgres@127.0.0.1:${dead}/mailroom (connection refused). Start it: sudo apt-get install -y postgresql && sudo systemctl start postgresql, or docker compose up -d postgres\n`,
    );
    expect(result.stdout).toBe('');
  });

  it('npm run start:worker with neither: a line for each, no password shown', async () => {
    const [pg, redis] = [await freePort(), await freePort()];
    const result = await runBuilt(WORKER, [], {
      DATABASE_URL: `postgresql://mailroom:hunter22@127.0.0.1:${pg}/mailroom`,
      REDIS_URL: `redis://:hunter22@127.0.0.1:${redis}`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^Mailroom cannot reach PostgreSQL at postgresql://mailroom:\\*\\*\\*@127\\.0\\.0\\.1:${pg}/mailroom \\(connection refused\\)\\. Start it: `)),
      expect.stringMatching(new RegExp(`^Mailroom cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis} \\(connection refused\\)\\. Start it: `)),
      '',
    ]);
    expect(result.stderr).not.toContain('hunter22');
  });

  it('a start:* app whose database was never migrated says how to create it', async () => {
    const name = `mailroom_test_never_migrated_${process.pid}`;
    const result = await runBuilt(WORKER, [], { DATABASE_URL: databaseUrl(name) });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`Mailroom's database ${name} does not exist on PostgreSQL at ${databaseUrl(name)}. Create it with npm run db:migrate (npm start creates it too)\n`);
  });

  it('npm run cli with PostgreSQL not running: the same line, exit 1', async () => {
    const dead = await freePort();
    for (const command of [['migrate'], ['destination:list']]) {
      const result = await runBuilt(CLI, command, { DATABASE_URL: `postgresql://postgres@127.0.0.1:${dead}/mailroom` });
      expect(result.code, command[0]).toBe(1);
      expect(result.stderr).toBe(
        `Mailroom cannot reach PostgreSQL at postgresql://postgres@127.0.0.1:${dead}/mailroom (connection refused). Start it: sudo apt-get install -y postgresql && sudo systemctl start postgresql, or docker compose up -d postgres\n`,
      );
    }
  });
});
