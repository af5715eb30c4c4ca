import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContactRepository, ListRepository, Sql, UnsubscribeRepository, type ListCounts } from '@mailroom/db';
import { createTestDatabase, testConfig, until, type TestDatabase } from '@mailroom/testing';

/**
 * GET /v1/lists reads member counts from list_member_counts, which triggers on list_memberships
 * keep (issue 14). After every kind of change the API and the importer make, the counters must
 * equal a count over the memberships themselves, including changes that reach memberships by
 * cascade (a contact or a list deleted) and two transactions adding to one list at once.
 */
describe('list member counters', () => {
  let db: TestDatabase;
  let sql: Sql;
  let lists: ListRepository;
  let contacts: ContactRepository;
  let unsubscribes: UnsubscribeRepository;
  const accountId = randomUUID();
  let listA: string;
  let listB: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = new Sql(testConfig(db.url));
    lists = new ListRepository(sql);
    contacts = new ContactRepository(sql);
    unsubscribes = new UnsubscribeRepository(sql);
    await sql.query(`INSERT INTO accounts (id, name) VALUES ($1, 'counts')`, [accountId]);
    const fields = { description: '', list_id_header: '', form_enabled: false, confirm_from: null, confirm_subject: null, confirm_html: null, confirm_text: null };
    listA = (await lists.create(accountId, { ...fields, name: 'A', opt_in: 'single' })).id;
    listB = (await lists.create(accountId, { ...fields, name: 'B', opt_in: 'double' })).id;
  });

  afterAll(async () => {
    await sql?.onApplicationShutdown();
    await db?.drop();
  });

  async function addContacts(prefix: string, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 5000) {
      const batch = Array.from({ length: Math.min(5000, n - i) }, (_, j) => ({ email: `${prefix}${i + j}@example.test`, attributes: {} }));
      ids.push(...(await contacts.upsert(accountId, batch, { method: 'api' })).map((c) => c.id));
    }
    return ids;
  }

  /** The counts as a scan over the memberships finds them. */
  async function scanned(listId: string): Promise<ListCounts> {
    const [row] = await sql.query<ListCounts>(
      `SELECT count(*) FILTER (WHERE status = 'subscribed')::int AS subscribed, count(*) FILTER (WHERE status = 'unconfirmed')::int AS unconfirmed,
              count(*) FILTER (WHERE status = 'unsubscribed')::int AS unsubscribed
         FROM list_memberships WHERE list_id = $1`,
      [listId],
    );
    return row!;
  }

  /** Both lists' counts as the API gives them equal the scan; returns them. */
  async function expectCountsMatch(): Promise<Record<string, ListCounts>> {
    const answer = await lists.list(accountId);
    const byId: Record<string, ListCounts> = {};
    for (const row of answer) {
      expect(row.counts, `list ${row.name}`).toEqual(await scanned(row.id));
      expect((await lists.findWithCounts(accountId, row.id))!.counts).toEqual(row.counts);
      byId[row.id] = row.counts;
    }
    return byId;
  }

  let bulk: string[];

  it('counts a bulk add of 10,000 members, and a re-add changes nothing', async () => {
    bulk = await addContacts('bulk', 10_000);
    await lists.join(listA, bulk, 'subscribed');
    await lists.join(listB, bulk.slice(0, 300), 'unconfirmed');
    let counts = await expectCountsMatch();
    expect(counts[listA]).toEqual({ subscribed: 10_000, unconfirmed: 0, unsubscribed: 0 });
    expect(counts[listB]).toEqual({ subscribed: 0, unconfirmed: 300, unsubscribed: 0 });

    await lists.join(listA, bulk.slice(0, 500), 'subscribed');
    await lists.join(listB, bulk.slice(0, 400), 'unconfirmed');
    counts = await expectCountsMatch();
    expect(counts[listA]).toEqual({ subscribed: 10_000, unconfirmed: 0, unsubscribed: 0 });
    expect(counts[listB]).toEqual({ subscribed: 0, unconfirmed: 400, unsubscribed: 0 });
  });

  it('moves members between states on confirm, unsubscribe and rejoin', async () => {
    for (const id of bulk.slice(0, 50)) await lists.confirm(listB, id, '192.0.2.1');
    await lists.confirm(listB, bulk[0]!, '192.0.2.1'); // already confirmed: no change
    let counts = await expectCountsMatch();
    expect(counts[listB]).toEqual({ subscribed: 50, unconfirmed: 350, unsubscribed: 0 });

    // The preferences page: contact 0 leaves A and keeps B; contact 1 leaves both.
    await unsubscribes.setPreferences(accountId, bulk[0]!, [listB]);
    await unsubscribes.setPreferences(accountId, bulk[1]!, []);
    // A one-click unsubscribe of many at once (one statement).
    await sql.query(`UPDATE list_memberships SET status = 'unsubscribed', unsubscribed_at = now() WHERE list_id = $1 AND contact_id = ANY($2::uuid[])`, [listA, bulk.slice(100, 200)]);
    counts = await expectCountsMatch();
    expect(counts[listA]).toEqual({ subscribed: 9_898, unconfirmed: 0, unsubscribed: 102 });
    expect(counts[listB]).toEqual({ subscribed: 49, unconfirmed: 350, unsubscribed: 1 });

    // An import does not undo an unsubscribe; the person's own form does.
    await lists.join(listA, bulk.slice(100, 110), 'subscribed');
    expect((await expectCountsMatch())[listA]).toEqual({ subscribed: 9_898, unconfirmed: 0, unsubscribed: 102 });
    await lists.join(listA, bulk.slice(100, 110), 'subscribed', { rejoin: true });
    expect((await expectCountsMatch())[listA]).toEqual({ subscribed: 9_908, unconfirmed: 0, unsubscribed: 92 });

    // An update that keeps every state.
    await sql.query(`UPDATE list_memberships SET subscribed_at = now() WHERE list_id = $1`, [listA]);
    expect((await expectCountsMatch())[listA]).toEqual({ subscribed: 9_908, unconfirmed: 0, unsubscribed: 92 });
  });

  it('takes members off on remove, contact erasure and contact deletion', async () => {
    expect(await lists.leave(accountId, listA, 'bulk2@example.test')).toBe(true);
    expect(await lists.leave(accountId, listA, 'bulk2@example.test')).toBe(false);
    await contacts.erase(accountId, bulk[3]!); // subscribed on both
    await sql.query(`DELETE FROM contacts WHERE id = ANY($1::uuid[])`, [bulk.slice(4, 20)]); // cascade: A and B
    const counts = await expectCountsMatch();
    expect(counts[listA]).toEqual({ subscribed: 9_908 - 18, unconfirmed: 0, unsubscribed: 92 });
    expect(counts[listB]).toEqual({ subscribed: 49 - 17, unconfirmed: 350, unsubscribed: 1 });
  });

  it('loses no count when two transactions add to one list at once', async () => {
    const [first, second] = [await addContacts('first', 2000), await addContacts('second', 2000)];
    const shared = await addContacts('shared', 200);
    const before = (await expectCountsMatch())[listA]!;
    const one = await sql.pool.connect();
    const two = await sql.pool.connect();
    try {
      await one.query('BEGIN');
      await two.query('BEGIN');
      await lists.join(listA, [...first, ...shared], 'subscribed', { tx: one });
      const pending = lists.join(listA, [...shared, ...second], 'subscribed', { tx: two });
      // The second statement must really wait for the first transaction (on the shared
      // memberships, then the counter row) for the test to say anything about lost counts.
      const waiting = await until(async () => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0]!.n === 1);
      expect(waiting).toBe(true);
      await one.query('COMMIT');
      await pending;
      await two.query('COMMIT');

      // Many small statements on both connections at once, each its own transaction.
      const more = await addContacts('more', 400);
      const adds = (client: typeof one, from: number) => async () => {
        for (let i = from; i < from + 200; i += 10) await lists.join(listA, more.slice(i, i + 10), 'subscribed', { tx: client });
      };
      await Promise.all([adds(one, 0)(), adds(two, 200)()]);
    } finally {
      one.release();
      two.release();
    }
    const after = (await expectCountsMatch())[listA]!;
    expect(after.subscribed).toBe(before.subscribed + 2000 + 2000 + 200 + 400);
  });

  it("drops a deleted list's counters with it and leaves the other list alone", async () => {
    const otherBefore = (await expectCountsMatch())[listA];
    expect(await lists.delete(accountId, listB)).toBe(true);
    expect(await sql.query(`SELECT * FROM list_member_counts WHERE list_id = $1`, [listB])).toEqual([]);
    const counts = await expectCountsMatch();
    expect(Object.keys(counts)).toEqual([listA]);
    expect(counts[listA]).toEqual(otherBefore);
  });
});
