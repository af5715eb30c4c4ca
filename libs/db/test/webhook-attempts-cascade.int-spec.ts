import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventRepository, Sql, WebhookDeliveryRepository } from '@mailroom/db';
import { createTestDatabase, testConfig, type TestDatabase } from '@mailroom/testing';

/**
 * webhook_attempts has no foreign key to its delivery (a per-row check cost a tenth of the
 * record's time); a statement-level trigger deletes a delivery's attempts with it. Each way a
 * delivery goes: its event pruned (events past EVENT_RETENTION_DAYS), its endpoint deleted, its
 * account deleted. Attempts of other deliveries stay.
 */
describe('webhook attempts go with their delivery', () => {
  let db: TestDatabase;
  let pg: Client;
  let sql: Sql;

  beforeAll(async () => {
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    sql = new Sql(testConfig(db.url));
  });

  afterAll(async () => {
    await sql?.onApplicationShutdown();
    await pg?.end();
    await db?.drop();
  });

  /** An account with `endpoints` webhooks and one event delivered to each, every delivery with two attempts recorded. */
  async function seed(endpoints: number, eventAgeDays = 0): Promise<{ accountId: string; webhookIds: string[]; deliveryIds: string[] }> {
    const account = (await pg.query<{ id: string }>(`INSERT INTO accounts (id, name) VALUES (gen_random_uuid(), 'a') RETURNING id`)).rows[0]!.id;
    const webhooks = await pg.query<{ id: string }>(
      `INSERT INTO webhooks (id, account_id, url, secret_encrypted, events)
       SELECT gen_random_uuid(), $1, 'https://hooks.example/' || i, 'sealed', '{message.delivered}' FROM generate_series(1, $2) i RETURNING id`,
      [account, endpoints],
    );
    const event = (
      await pg.query<{ id: string }>(
        `INSERT INTO events (id, account_id, type, payload, created_at)
         VALUES (gen_random_uuid(), $1, 'message.delivered', '{}', now() - make_interval(days => $2)) RETURNING id`,
        [account, eventAgeDays],
      )
    ).rows[0]!.id;
    const deliveries = await pg.query<{ id: string }>(
      `INSERT INTO webhook_deliveries (webhook_id, account_id, event_id, event_type)
       SELECT id, $1, $2, 'message.delivered' FROM unnest($3::uuid[]) id RETURNING id`,
      [account, event, webhooks.rows.map((w) => w.id)],
    );
    const repository = new WebhookDeliveryRepository(sql);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const ids = deliveries.rows.map((d) => d.id);
      await repository.claim(ids, 30);
      await repository.record(ids.map((id) => ({ id, attempt, outcome: attempt === 1 ? 'retry' : 'succeeded', nextAttemptAt: new Date(), statusCode: attempt === 1 ? 500 : 200, durationMs: 3 })));
    }
    return { accountId: account, webhookIds: webhooks.rows.map((w) => w.id), deliveryIds: deliveries.rows.map((d) => d.id) };
  }

  const attemptsOf = async (deliveryIds: string[]) =>
    (await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_attempts WHERE delivery_id = ANY($1::uuid[])`, [deliveryIds])).rows[0]!.n;

  it('records two attempts per delivery to start with', async () => {
    const { deliveryIds } = await seed(2);
    expect(await attemptsOf(deliveryIds)).toBe(4);
  });

  it('drops the attempts of deliveries whose event is pruned, and no others', async () => {
    const old = await seed(3, 40);
    const recent = await seed(1, 0);
    expect(await new EventRepository(sql).prune(30)).toBeGreaterThanOrEqual(1);
    expect(await attemptsOf(old.deliveryIds)).toBe(0);
    expect(await attemptsOf(recent.deliveryIds)).toBe(2);
  });

  it('drops the attempts of a deleted endpoint, and an account’s with the account', async () => {
    const one = await seed(2);
    await pg.query(`DELETE FROM webhooks WHERE id = $1`, [one.webhookIds[0]]);
    expect(await attemptsOf([one.deliveryIds[0]!])).toBe(0);
    expect(await attemptsOf([one.deliveryIds[1]!])).toBe(2);

    await pg.query(`DELETE FROM accounts WHERE id = $1`, [one.accountId]);
    expect(await attemptsOf(one.deliveryIds)).toBe(0);
  });
});
