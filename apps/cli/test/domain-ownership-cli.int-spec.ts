import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, runBuilt, TestDnsServer, type TestDatabase } from '@mailroom/testing';

const CLI = 'dist/apps/cli/src/main.js';

describe('operator CLI: domain ownership', () => {
  let db: TestDatabase;
  let dns: TestDnsServer;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runBuilt(CLI, args, env);

  beforeAll(async () => {
    db = await createTestDatabase();
    dns = await TestDnsServer.start();
    env = { DATABASE_URL: db.url, MAIL_HOSTNAME: 'mx.mailroom.test', DNS_SERVERS: dns.address };
  });
  afterAll(async () => {
    await db?.drop();
    await dns?.close();
  });

  it('prints the ownership record, tells a pending domain apart, and needs --account for a name several accounts added', async () => {
    const a = JSON.parse((await cli('account:create', 'A', '--json')).stdout).account.id as string;
    const b = JSON.parse((await cli('account:create', 'B', '--json')).stdout).account.id as string;

    const created = await cli('domain:create', '--account', a, 'shared.test');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/TXT\s+_mailroom\.shared\.test\n\s+mailroom-verification=[0-9a-f]{32}\s+\(ownership\)/);
    expect(created.stdout).toContain('ownership not proven yet');
    expect((await cli('domain:create', '--account', b, 'shared.test')).code).toBe(0);

    // MAIL_HOSTNAME itself is nobody's; its parent only the operator's, and the CLI is the operator.
    const reserved = await cli('domain:create', '--account', a, 'mx.mailroom.test');
    expect(reserved.code).toBe(1);
    expect(reserved.stderr).toContain('reserved');
    const parent = await cli('domain:create', '--account', a, 'mailroom.test');
    expect(parent.code).toBe(0);
    expect(parent.stdout).toContain('ownership not proven yet');

    const ambiguous = await cli('domain:dns', 'shared.test');
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('added by 2 accounts and owned by none; name one with --account <id>');

    const records = JSON.parse((await cli('domain:dns', 'shared.test', '--account', a, '--json')).stdout) as Array<{ purpose: string; name: string; value: string }>;
    expect(records[0]).toMatchObject({ purpose: 'ownership', name: '_mailroom.shared.test' });

    const pending = await cli('domain:verify', 'shared.test', '--account', a);
    expect(pending.stdout).toMatch(/^shared\.test: not verified \(ownership not proven yet/);
    expect(pending.stdout).toMatch(/missing\s+TXT\s+_mailroom\.shared\.test \(ownership\)/);

    dns.add({ type: 'TXT', name: '_mailroom.shared.test', value: records[0].value });
    const owned = await cli('domain:verify', 'shared.test', '--account', a);
    expect(owned.stdout).toMatch(/^shared\.test: not verified\n/); // owned; DKIM, SPF and MX still to publish
    expect(owned.stdout).toMatch(/verified\s+TXT\s+_mailroom\.shared\.test \(ownership\)/);
    // B's pending registration went when A proved the name: no --account needed any more.
    const shown = JSON.parse((await cli('domain:dns', 'shared.test', '--json')).stdout) as Array<{ value: string }>;
    expect(shown[0].value).toBe(records[0].value);
  }, 600_000); // a dozen runs of the built CLI (Nest and Prisma each): 25 s on a quiet machine, over 120 s at load 20
});
