import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMigrationsDir, migrate, readMigrations } from '@mailroom/db';
import { createTestDatabase, type TestDatabase } from '@mailroom/testing';

const MIGRATION = '20261130020000_domain_ownership';

/**
 * An installation upgraded to domain ownership keeps what worked: domains verified before (or
 * that have sent mail) are owned and keep receiving; the others get a week to prove themselves,
 * except those holding mailboxes, which are kept (unproven, so receiving nothing) rather than
 * deleted with their mail.
 */
describe(`migration ${MIGRATION} on an existing database`, () => {
  let db: TestDatabase;
  let pg: Client;
  const account = randomUUID();
  const ids = { verified: randomUUID(), sent: randomUUID(), pending: randomUUID(), boxes: randomUUID() };

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    const before = mkdtempSync(join(tmpdir(), 'migrations-before-'));
    for (const m of readMigrations().filter((m) => m.name < MIGRATION)) cpSync(join(findMigrationsDir(), m.name), join(before, m.name), { recursive: true });
    cpSync(join(findMigrationsDir(), 'migration_lock.toml'), join(before, 'migration_lock.toml'));
    await migrate(db.url, { dir: before });

    pg = new Client({ connectionString: db.url });
    await pg.connect();
    await pg.query(`INSERT INTO accounts (id, name) VALUES ($1, 'legacy')`, [account]);
    const domain = (id: string, name: string, verifiedAt: string | null) =>
      pg.query(`INSERT INTO domains (id, account_id, name, return_path_domain, verified_at, created_at) VALUES ($1, $2, $3, $4, $5, '2026-01-01')`, [id, account, name, `mr-bounces.${name}`, verifiedAt]);
    await domain(ids.verified, 'verified.test', '2026-02-01T00:00:00Z');
    await domain(ids.sent, 'sent.test', null);
    await domain(ids.pending, 'pending.test', null);
    await domain(ids.boxes, 'boxes.test', null);
    await pg.query(
      `INSERT INTO messages (id, account_id, domain_id, stream, from_address, subject, message_id_header, raw, size)
       VALUES ($1, $2, $3, 'transactional', 'a@sent.test', 's', 'x@sent.test', $4, 1)`,
      [randomUUID(), account, ids.sent, Buffer.from('x')],
    );
    await pg.query(`INSERT INTO mailboxes (id, account_id, domain_id, address, password_hash) VALUES ($1, $2, $3, 'info@boxes.test', 'x')`, [randomUUID(), account, ids.boxes]);

    const result = await migrate(db.url);
    expect(result.applied).toContain(MIGRATION);
  });

  afterAll(async () => {
    await pg?.end();
    await db?.drop();
  });

  const row = async (id: string) =>
    (await pg.query<{ owned_at: Date | null; expires_at: Date | null; ownership_token: string }>(`SELECT owned_at, expires_at, ownership_token FROM domains WHERE id = $1`, [id])).rows[0]!;

  it('owns the domains that were verified or have sent mail, and never expires them', async () => {
    expect(await row(ids.verified)).toMatchObject({ owned_at: new Date('2026-02-01T00:00:00Z'), expires_at: null });
    expect(await row(ids.sent)).toMatchObject({ owned_at: expect.any(Date), expires_at: null });
  });

  it('gives the other registrations a week, keeps those with mailboxes, and gives each a token of its own', async () => {
    const pending = await row(ids.pending);
    expect(pending.owned_at).toBeNull();
    expect(pending.expires_at!.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect(pending.expires_at!.getTime()).toBeLessThan(Date.now() + 8 * 86_400_000);
    expect(await row(ids.boxes)).toMatchObject({ owned_at: null, expires_at: null });
    const tokens = await Promise.all(Object.values(ids).map(async (id) => (await row(id)).ownership_token));
    for (const token of tokens) expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('lets another account add a name pending, but not own one that is owned', async () => {
    const other = randomUUID();
    await pg.query(`INSERT INTO accounts (id, name) VALUES ($1, 'other')`, [other]);
    const insert = (name: string, owned: boolean) =>
      pg.query(`INSERT INTO domains (id, account_id, name, return_path_domain, ownership_token, owned_at) VALUES ($1, $2, $3, $4, 't', $5)`, [
        randomUUID(),
        other,
        name,
        `mr-bounces.${name}`,
        owned ? new Date() : null,
      ]);
    await insert('verified.test', false);
    await expect(insert('pending.test', true)).resolves.toBeDefined();
    await expect(insert('sent.test', true)).rejects.toMatchObject({ code: '23505' });
    // Once per account, owned or not.
    await expect(insert('verified.test', false)).rejects.toMatchObject({ code: '23505' });
  });
});
