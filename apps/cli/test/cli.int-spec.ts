import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, runBuilt, type TestDatabase } from '@mailroom/testing';

const CLI = 'dist/apps/cli/src/main.js';

describe('operator CLI (npm run cli -- ...)', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runBuilt(CLI, args, env);

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    env = { DATABASE_URL: db.url, MAIL_HOSTNAME: 'mx.mailroom.test' };
  });
  afterAll(async () => db?.drop());

  it('migrates, then creates an account, a domain with its DNS records, a mailbox and SMTP credentials', async () => {
    const migrated = await cli('migrate');
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(/applied 20261123000000_init/);
    expect((await cli('migrate')).stdout).toMatch(/0 applied now/);

    const created = await cli('account:create', 'Acme', '--json');
    expect(created.code).toBe(0);
    const { account, api_key } = JSON.parse(created.stdout);
    expect(api_key.key).toMatch(/^mr_live_/);

    const domain = await cli('domain:create', '--account', account.id, 'acme.test');
    expect(domain.code).toBe(0);
    expect(domain.stdout).toMatch(/TXT\s+mr\d{6}r\._domainkey\.acme\.test\n\s+v=DKIM1; k=rsa; p=MIIB/);
    expect(domain.stdout).toMatch(/MX\s+mr-bounces\.acme\.test\n\s+10 mx\.mailroom\.test/);

    const dns = JSON.parse((await cli('domain:dns', 'acme.test', '--json')).stdout) as Array<{ purpose: string; value: string }>;
    expect(dns.filter((r) => r.purpose === 'dkim').map((r) => r.value.slice(0, 21))).toEqual(['v=DKIM1; k=rsa; p=MII', 'v=DKIM1; k=ed25519; p']);

    const mailbox = await cli('mailbox:create', '--account', account.id, 'Bounces@acme.test', '--password', 'a good long password');
    expect(mailbox.code).toBe(0);
    expect(mailbox.stdout).toContain('mailbox bounces@acme.test');
    expect(mailbox.stdout).not.toContain('password (shown once)');

    const cred = await cli('smtp-credential:create', '--account', account.id, '--username', 'legacy-app');
    expect(cred.code).toBe(0);
    expect(cred.stdout).toMatch(/username: legacy-app\npassword \(shown once\): \S{24,}/);

    const hourly = await cli('account:limit', account.id, '--per-hour', '500');
    expect(hourly.stdout).toBe(`Acme (${account.id}): at most 500 messages per hour\n`);
    expect((await cli('account:limit', account.id, '--none')).stdout).toContain('no hourly limit');

    const limit = await cli('destination:set', '.google.com', '--max-connections', '8', '--per-minute', '600');
    expect(limit.stdout).toBe('.google.com: at most 8 connections, 600 messages/minute (workers pick it up within a minute)\n');
    expect((await cli('destination:list')).stdout).toMatch(/^\.google\.com\s+8 connections  600\/min$/m);
    expect((await cli('destination:remove', '.google.com')).code).toBe(0);
    expect((await cli('destination:set', 'gmail.com', '--max-connections', 'many')).stderr).toContain('--max-connections must be a whole number');

    const admin = await cli('api-key:create', '--admin', '--json');
    expect(JSON.parse(admin.stdout)).toMatchObject({ scope: 'admin', account_id: null });
  }, 600_000); // seventeen runs of the built CLI, each starting Nest and Prisma: over 120 s on a machine at load 15

  it('answers mistakes with a clear message and a non-zero exit', async () => {
    const missing = await cli('domain:create', 'x.test');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing --account <value>');
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const notFound = await cli('domain:dns', 'nowhere.test');
    expect(notFound.code).toBe(1);
    expect(notFound.stderr).toBe('error: domain not found\n');
    const badConfig = await runBuilt(CLI, ['migrate'], { ...env, DATABASE_URL: 'mysql://nope' });
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toBe('error: Invalid configuration: DATABASE_URL must be a postgresql: or postgres: URL (got "mysql://nope")\n');
  }, 300_000); // four runs of the built CLI: 88 s at load 15
});
