import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventRepository, Sql } from '@mailroom/db';
import { EventWriter } from '@mailroom/events';
import { createTestDatabase, testConfig, type TestDatabase } from '@mailroom/testing';

/**
 * The inbound MTA files a group of messages in one transaction, and each filed message asks for
 * its inbound.received there. Asked for in the same tick, they are written by one statement:
 * each event still goes to the account that owns its mailbox, with its own data, and
 * a mailbox deleted meanwhile gets none.
 */
describe('inbound.received for a group of filed messages', () => {
  let db: TestDatabase;
  let sql: Sql;
  beforeAll(async () => void (sql = new Sql(testConfig((db = await createTestDatabase()).url))));
  afterAll(async () => {
    await sql?.onApplicationShutdown();
    await db?.drop();
  });
  const one = async <T extends Record<string, unknown>>(text: string, values: unknown[]) => (await sql.query<T>(text, values))[0]!;

  /** An account subscribed to inbound.received, with a mailbox; returns both ids. */
  async function accountWithMailbox(name: string): Promise<{ accountId: string; mailboxId: string }> {
    const accountId = (await one<{ id: string }>(`INSERT INTO accounts (id, name) VALUES (gen_random_uuid(), $1) RETURNING id`, [name])).id;
    await sql.query(`INSERT INTO webhooks (id, account_id, url, secret_encrypted, events) VALUES (gen_random_uuid(), $1, 'https://hooks.example/in', 'sealed', '{inbound.received}')`, [accountId]);
    const domain = await one<{ id: string }>(
      `INSERT INTO domains (id, account_id, name, return_path_domain, ownership_token, owned_at) VALUES (gen_random_uuid(), $1, $2, 'rp.' || $2, md5(random()::text), now()) RETURNING id`,
      [accountId, `${name}.test`],
    );
    const mailboxId = (await one<{ id: string }>(`INSERT INTO mailboxes (id, account_id, domain_id, address, password_hash) VALUES (gen_random_uuid(), $1, $2, $3, 'x') RETURNING id`, [accountId, domain.id, `in@${name}.test`])).id;
    return { accountId, mailboxId };
  }

  it('writes one statement for the group, each event to its mailbox’s account', async () => {
    const a = await accountWithMailbox('alpha');
    const b = await accountWithMailbox('beta');
    const writer = new EventWriter(new EventRepository(sql));
    const data = (uid: number, mailboxId: string) => ({ mailbox_id: mailboxId, folder: 'INBOX', uid, uid_validity: 1, recipient: 'in@x.test', envelope_from: 'a@b.test', from: 'a@b.test', to: 'in@x.test', subject: `m${uid}`, message_id_header: null, in_reply_to: null, size: 100 });
    const statements: string[] = [];
    await sql.transaction(async (tx) => {
      const query = tx.query.bind(tx) as (...args: unknown[]) => unknown;
      (tx as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        statements.push(String(typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text));
        return query(...args);
      };
      try {
        const deleted = '00000000-0000-4000-8000-000000000000';
        await Promise.all([
          writer.inboundReceived(tx, a.mailboxId, data(1, a.mailboxId)),
          writer.inboundReceived(tx, b.mailboxId, data(1, b.mailboxId)),
          writer.inboundReceived(tx, deleted, data(9, deleted)),
          writer.inboundReceived(tx, a.mailboxId, data(2, a.mailboxId)),
        ]);
      } finally {
        delete (tx as unknown as { query?: unknown }).query;
      }
    });
    expect(statements.filter((s) => s.includes('mailroom_emit_events'))).toHaveLength(1);
    const rows = await sql.query<{ account_id: string; data: { uid: number; mailbox_id: string } }>(
      `SELECT account_id, payload->'data' AS data FROM events WHERE type = 'inbound.received' ORDER BY payload->'data'->>'uid'`,
    );
    const of = (accountId: string) => rows.filter((r) => r.account_id === accountId).map((r) => [r.data.mailbox_id, r.data.uid]);
    expect(of(a.accountId)).toEqual([[a.mailboxId, 1], [a.mailboxId, 2]]);
    expect(of(b.accountId)).toEqual([[b.mailboxId, 1]]);
    expect(rows).toHaveLength(3);
    expect((await one<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_type = 'inbound.received'`, [])).n).toBe(3);
  });
});
