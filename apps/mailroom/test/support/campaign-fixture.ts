import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import type { SmtpSink, TestApi } from '@mailroom/testing';

export interface SeedContact {
  email: string;
  attributes?: Record<string, unknown>;
  status?: 'active' | 'unsubscribed' | 'bounced' | 'complained';
  createdAt?: Date;
  /** Membership state in the list, when a list is given. */
  membership?: 'subscribed' | 'unsubscribed' | 'unconfirmed';
}

/**
 * Contacts and lists written straight into PostgreSQL in bulk: campaign and segment tests need
 * audiences of a given shape (statuses, attributes, creation dates, hundreds of contacts), which
 * is set-up, not what they test. Returns the contact ids in the order given.
 */
export async function seedContacts(pg: Client, accountId: string, contacts: SeedContact[], listId?: string): Promise<string[]> {
  const ids = contacts.map(() => randomUUID());
  await pg.query(
    `INSERT INTO contacts (id, account_id, email, attributes, status, created_at, updated_at)
     SELECT c.id, $1, c.email, c.attributes, c.status::contact_status, c.created_at, now()
       FROM unnest($2::uuid[], $3::text[], $4::jsonb[], $5::text[], $6::timestamptz[]) AS c(id, email, attributes, status, created_at)`,
    [accountId, ids, contacts.map((c) => c.email.toLowerCase()), contacts.map((c) => JSON.stringify(c.attributes ?? {})), contacts.map((c) => c.status ?? 'active'), contacts.map((c) => c.createdAt ?? new Date())],
  );
  if (listId) {
    await pg.query(
      `INSERT INTO list_memberships (list_id, contact_id, status)
       SELECT $1, m.contact_id, m.status::membership_status FROM unnest($2::uuid[], $3::text[]) AS m(contact_id, status)`,
      [listId, ids, contacts.map((c) => c.membership ?? 'subscribed')],
    );
  }
  return ids;
}

export async function seedList(pg: Client, accountId: string, name: string, listIdHeader = ''): Promise<string> {
  const id = randomUUID();
  await pg.query('INSERT INTO contact_lists (id, account_id, name, list_id_header) VALUES ($1, $2, $3, $4)', [id, accountId, name, listIdHeader]);
  return id;
}

export async function subscribe(pg: Client, listId: string, contactIds: string[], status: 'subscribed' | 'unsubscribed' = 'subscribed'): Promise<void> {
  await pg.query(
    `INSERT INTO list_memberships (list_id, contact_id, status) SELECT $1, unnest($2::uuid[]), $3::membership_status
     ON CONFLICT (list_id, contact_id) DO UPDATE SET status = EXCLUDED.status`,
    [listId, contactIds, status],
  );
}

/** A campaign's state as its owner reads it. */
export async function campaignOf(api: Pick<TestApi, 'request'>, key: string, id: string): Promise<any> {
  const res = await api.request('GET', `/v1/campaigns/${id}`, { key });
  if (res.status !== 200) throw new Error(`GET campaign: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The value of a header of a received message (unfolded), or undefined. */
export function headerOf(raw: Buffer, name: string): string | undefined {
  const head = raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('utf8').replace(/\r\n[ \t]+/g, ' ');
  const match = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head);
  return match?.[1];
}

/** How many times each Message-ID reached the sink, for messages to addresses starting with `tag`. */
export function messageIdsAtSink(sink: SmtpSink, tag: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of sink.messages) {
    if (!m.to.some((t) => t.startsWith(tag))) continue;
    const id = headerOf(m.raw, 'Message-ID') ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
