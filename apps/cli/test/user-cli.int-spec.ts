import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '@mailroom/crypto';
import { createTestDatabase, runBuilt, type TestDatabase } from '@mailroom/testing';

const CLI = 'dist/apps/cli/src/main.js';

/** `npm run cli -- user:create`: the first dashboard user, as an operator makes it. */
describe('user:create', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let pg: Client;
  const cli = (...args: string[]) => runBuilt(CLI, args, env);

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url, MAIL_HOSTNAME: 'mx.mailroom.test' };
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.end();
    await db?.drop();
  });

  it('prints a generated password once, stores only its scrypt hash, and makes admins', async () => {
    const made = await cli('user:create', '--email', 'Ops@Example.test', '--admin');
    expect(made.code, made.stderr).toBe(0);
    const password = /password \(shown once\): (\S+)/.exec(made.stdout)![1]!;
    expect(made.stdout).toContain('user ops@example.test');
    expect(made.stdout).toContain('admin: sees every account');
    const { rows } = await pg.query<{ password_hash: string; admin: boolean }>('SELECT password_hash, admin FROM users WHERE email = $1', ['ops@example.test']);
    expect(rows[0]!.admin).toBe(true);
    expect(rows[0]!.password_hash).toMatch(/^scrypt\$/);
    expect(await verifyPassword(password, rows[0]!.password_hash)).toBe(true);
  });

  it('adds a user with a chosen password to an account with a role', async () => {
    const account = JSON.parse((await cli('account:create', 'Acme', '--json')).stdout).account;
    const made = await cli('user:create', '--email', 'ann@acme.test', '--password', 'a long password', '--account', account.id, '--role', 'viewer', '--json');
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ email: 'ann@acme.test', admin: false, account_id: account.id, role: 'viewer' });
    expect(made.stdout).not.toContain('a long password');
    const { rows } = await pg.query('SELECT role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1', ['ann@acme.test']);
    expect(rows).toEqual([{ role: 'viewer' }]);
  });

  it('refuses a second user with the same address, a short password and an unknown role', async () => {
    const twice = await cli('user:create', '--email', 'ann@acme.test', '--password', 'another password');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('a user ann@acme.test exists');
    expect((await cli('user:create', '--email', 'bob@acme.test', '--password', 'short')).stderr).toContain('password must be 10 to 256 characters');
    expect((await cli('user:create', '--email', 'bob@acme.test', '--role', 'boss')).code).toBe(2);
  });
});
