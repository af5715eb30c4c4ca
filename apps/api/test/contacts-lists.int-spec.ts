import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountKey, createSendingAccount, until, type SendingAccount, type TestDnsServer } from '@mailroom/testing';
import { startApiWithDns, type ApiWithDns, type TestApi } from '../../mailroom/test/support/test-api';

/** Contacts, lists, CSV import and export over the REST API, as a client sees them. */
describe('contacts, lists and imports over the REST API', () => {
  let dns: TestDnsServer;
  let api: TestApi;
  let a: SendingAccount;
  let b: { accountId: string; key: string };
  let pg: Client;
  let setup: ApiWithDns;

  beforeAll(async () => {
    ({ api, dns, pg } = setup = await startApiWithDns({ IMPORT_MAX_BYTES: String(512 * 1024), PUBLIC_URL: 'https://mail.example.net' }));
    a = await createSendingAccount(api, dns, 'letters.test');
    b = await createAccountKey(api, 'another');
  });

  afterAll(async () => {
    await setup?.close();
  });

  const req = (method: string, path: string, body?: unknown, key = a.key) => api.request(method, path, { key, body });

  /** Posts a CSV body as a client would (curl --data-binary @file -H 'Content-Type: text/csv'). */
  async function uploadCsv(path: string, csv: string | Buffer, key = a.key, type = 'text/csv') {
    const res = await fetch(api.baseUrl + path, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': type }, body: csv });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it('upserts 10,000 contacts in one request, lower-casing and merging attributes', async () => {
    const contacts = Array.from({ length: 10_000 }, (_, i) => ({ email: `Reader${i}@Example.COM`, attributes: { name: `Reader ${i}`, plan: i % 2 ? 'pro' : 'free' } }));
    const first = await req('POST', '/v1/contacts', contacts);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ created: 10_000, updated: 0, suppressed: 0 });
    expect(first.body.data[0]).toMatchObject({ email: 'reader0@example.com', created: true, contact_status: 'active' });
    // Ids grow with time (UUIDv7): a campaign's freeze later reads these contacts in the order
    // they were written.
    const ids: string[] = first.body.data.map((c: { id: string }) => c.id);
    expect(ids.every((id) => id[14] === '7')).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    const { rows } = await pg.query(`SELECT count(*)::int AS n FROM contacts WHERE account_id = $1 AND consent_method = 'api' AND consent_at IS NOT NULL`, [a.accountId]);
    expect(rows[0].n).toBe(10_000);

    // Again, with one new attribute: updated, merged, the old attributes kept.
    const again = await req('POST', '/v1/contacts', [{ email: 'reader1@example.com', attributes: { city: 'Lyon' } }, { email: 'READER1@example.com', attributes: { plan: 'team' } }]);
    expect(again.body).toMatchObject({ created: 0, updated: 1 });
    const found = await req('GET', '/v1/contacts?email=Reader1@example.com');
    expect(found.body.data).toHaveLength(1);
    expect(found.body.data[0].attributes).toEqual({ name: 'Reader 1', plan: 'team', city: 'Lyon' });
    expect(found.body.data[0].consent).toMatchObject({ method: 'api', ip: '127.0.0.1' });
  });

  it('refuses bad input with clear codes', async () => {
    const bad = await req('POST', '/v1/contacts', [{ email: 'fine@example.com' }, { email: 'not an address' }, { email: 'Ann <ann@example.com>' }]);
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('invalid_address');
    expect(bad.body.error.message).toContain('contacts[1]');
    expect(bad.body.error.details.errors.map((e: { index: number }) => e.index)).toEqual([1, 2]);
    expect((await pg.query(`SELECT 1 FROM contacts WHERE email = 'fine@example.com'`)).rowCount).toBe(0);

    expect((await req('POST', '/v1/contacts', [{ email: 'x@example.com', attributes: 'nope' }])).status).toBe(400);
    expect((await req('POST', '/v1/contacts', [{ email: 'x@example.com', attributes: { big: 'x'.repeat(9000) } }])).body.error.code).toBe('invalid_attributes');
    expect((await req('POST', '/v1/contacts', [])).status).toBe(400);
    const tooMany = await req('POST', '/v1/contacts', Array.from({ length: 10_001 }, (_, i) => ({ email: `n${i}@example.com` })));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toContain('10000');
    expect((await req('GET', '/v1/contacts?cursor=garbage')).body.error.code).toBe('invalid_cursor');
    expect((await req('POST', '/v1/lists', { name: 'Double', opt_in: 'double' })).body.error.code).toBe('confirm_from_required');
    expect((await req('POST', '/v1/lists', { name: 'Foreign', opt_in: 'double', confirm_from: 'x@elsewhere.test' })).body.error.code).toBe('unknown_sender_domain');
    expect((await req('POST', '/v1/lists', { name: 'No link', opt_in: 'double', confirm_from: 'news@letters.test', confirm_html: '<p>Hi</p>' })).body.error.code).toBe('confirm_url_missing');
    expect((await req('POST', '/v1/lists', { name: 'Bad id', list_id_header: 'has spaces in it' })).body.error.code).toBe('invalid_list_id');
  });

  it('pages through contacts with a cursor, filtered by list and status', async () => {
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { data: Array<{ id: string }>; next_cursor: string | null } } = await req('GET', `/v1/contacts?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      for (const c of page.body.data) seen.add(c.id);
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    expect(seen.size).toBe(10_000);
    expect(pages).toBeGreaterThanOrEqual(10);
    expect((await req('GET', '/v1/contacts?status=bounced')).body.data).toEqual([]);
  });

  it('creates lists with a derived List-Id, adds and removes members, counts them', async () => {
    const list = await req('POST', '/v1/lists', { name: 'Weekly News!', description: 'Every Monday', form_enabled: true });
    expect(list.status).toBe(201);
    expect(list.body.list_id_header).toMatch(new RegExp(`^weekly-news\\.${list.body.id.replace(/-/g, '').slice(0, 8)}\\.letters\\.test$`));
    expect(list.body.form_url).toBe(`https://mail.example.net/subscribe/${list.body.id}`);
    const added = await req('POST', `/v1/lists/${list.body.id}/contacts`, [{ email: 'reader5@example.com' }, { email: 'new.one@example.com', attributes: { name: 'New' } }]);
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ created: 1, updated: 1 });
    expect(added.body.data.map((d: { status: string }) => d.status)).toEqual(['subscribed', 'subscribed']);
    expect((await req('GET', `/v1/lists/${list.body.id}`)).body.counts).toEqual({ subscribed: 2, unconfirmed: 0, unsubscribed: 0 });
    expect((await req('GET', `/v1/contacts?list_id=${list.body.id}`)).body.data.map((c: { email: string }) => c.email).sort()).toEqual(['new.one@example.com', 'reader5@example.com']);

    expect((await req('DELETE', `/v1/lists/${list.body.id}/contacts/Reader5@example.com`)).status).toBe(204);
    expect((await req('DELETE', `/v1/lists/${list.body.id}/contacts/Reader5@example.com`)).status).toBe(404);
    const all = await req('GET', '/v1/lists');
    expect(all.body.find((l: { id: string }) => l.id === list.body.id).counts.subscribed).toBe(1);

    const renamed = await req('PATCH', `/v1/lists/${list.body.id}`, { name: 'Weekly', list_id_header: '<weekly.letters.test>' });
    expect(renamed.body).toMatchObject({ name: 'Weekly', list_id_header: 'weekly.letters.test' });
    expect((await req('DELETE', `/v1/lists/${list.body.id}`)).status).toBe(204);
    expect((await req('GET', `/v1/lists/${list.body.id}`)).status).toBe(404);
    expect((await req('GET', '/v1/contacts?email=new.one@example.com')).body.data).toHaveLength(1); // contacts stay
  });

  it('a member who unsubscribed is not put back by the list owner', async () => {
    const list = await req('POST', '/v1/lists', { name: 'Offers' });
    await req('POST', `/v1/lists/${list.body.id}/contacts`, [{ email: 'gone@example.com' }]);
    await pg.query(`UPDATE list_memberships SET status = 'unsubscribed' WHERE list_id = $1`, [list.body.id]);
    const again = await req('POST', `/v1/lists/${list.body.id}/contacts`, [{ email: 'gone@example.com' }]);
    expect(again.body.data[0].status).toBe('unsubscribed');
  });

  it('imports a CSV with bad rows and reports them by line, with progress counts', async () => {
    const list = await req('POST', '/v1/lists', { name: 'Imported' });
    await req('POST', '/v1/suppressions', { email: 'blocked@example.com', reason: 'manual' });
    const csv = [
      'Name,E-Mail,Plan,status',
      'Ann,ann@example.com,pro,ignored',
      'Bob,not-an-address,free,',
      '',
      '"Lee, ""Jr""",lee@example.com,"multi',
      'line",',
      'Dup,ANN@example.com,pro,',
      'Blocked,blocked@example.com,free,',
      'Known,reader7@example.com,gold,',
      ',,,',
    ].join('\n');
    const res = await uploadCsv(`/v1/imports?list_id=${list.body.id}&filename=people.csv`, csv);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'done', filename: 'people.csv', list_id: list.body.id, rows_read: 7, added: 2, updated: 1, rejected: 4 });
    expect(res.body.rejects).toEqual([
      { line: 3, email: 'not-an-address', reason: 'bad_address' },
      { line: 7, email: 'ann@example.com', reason: 'duplicate' },
      { line: 8, email: 'blocked@example.com', reason: 'suppressed' },
      { line: 10, email: '', reason: 'bad_address' },
    ]);
    const lee = (await req('GET', '/v1/contacts?email=lee@example.com')).body.data[0];
    expect(lee.attributes).toEqual({ Name: 'Lee, "Jr"', Plan: 'multi\nline' });
    expect(lee.consent.method).toBe('import');
    expect(lee.id[14]).toBe('7'); // named by mailroom_ordered_uuid(), time-ordered like the API's
    expect(lee.id > (await req('GET', '/v1/contacts?email=reader0@example.com')).body.data[0].id).toBe(true);
    expect((await req('GET', '/v1/contacts?email=reader7@example.com')).body.data[0].attributes).toMatchObject({ name: 'Reader 7', Name: 'Known', Plan: 'gold' });
    expect((await req('GET', `/v1/lists/${list.body.id}`)).body.counts.subscribed).toBe(3);

    const shown = await req('GET', `/v1/imports/${res.body.id}`);
    expect(shown.body).toMatchObject({ status: 'done', rows_read: 7, rejected: 4 });
    const rejects = await fetch(`${api.baseUrl}/v1/imports/${res.body.id}/rejects.csv`, { headers: { authorization: `Bearer ${a.key}` } });
    expect(rejects.headers.get('content-type')).toContain('text/csv');
    expect(await rejects.text()).toBe('line,email,reason\r\n3,not-an-address,bad_address\r\n7,ann@example.com,duplicate\r\n8,blocked@example.com,suppressed\r\n10,,bad_address\r\n');
  });

  it('shows an import’s progress to other requests while it runs', async () => {
    // A slow upload: the client sends the file in pieces, and the import row advances between them.
    const rows = Array.from({ length: 12_000 }, (_, i) => `slow${i}@example.com,S${i}`);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('email,name\n'));
        if (sent >= rows.length) return controller.close();
        controller.enqueue(new TextEncoder().encode(`${rows.slice(sent, sent + 6000).join('\n')}\n`));
        sent += 6000;
        if (sent < rows.length) await released; // the rest once the test has seen the progress
      },
    });
    const running = fetch(`${api.baseUrl}/v1/imports`, { method: 'POST', headers: { authorization: `Bearer ${a.key}`, 'content-type': 'text/csv' }, body, duplex: 'half' } as RequestInit);
    let progress: { id: string; rows_read: number; finished_at: string | null } | undefined;
    expect(
      await until(
        async () => {
          progress = (await req('GET', '/v1/imports?status=running')).body.data[0];
          return (progress?.rows_read ?? 0) >= 5000;
        },
        { timeoutMs: 60_000 },
      ),
    ).toBe(true);
    expect((await req('GET', `/v1/imports/${progress!.id}`)).body).toMatchObject({ status: 'running', rows_read: 5000, added: 5000 });
    release();
    const res = await running;
    expect(res.status).toBe(201);
    const done = (await res.json()) as { id: string };
    expect(done).toMatchObject({ status: 'done', rows_read: 12_000, added: 12_000, rejected: 0 });
    expect(progress!.id).toBe(done.id);
    expect(progress!.finished_at).toBeNull();
  });

  it('refuses uploads over IMPORT_MAX_BYTES with 413, files without an email column with 422', async () => {
    const big = `email\n${'x'.repeat(600 * 1024)}@example.com\n`;
    const res = await uploadCsv('/v1/imports', big);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('import_too_large');
    // Without a Content-Length (chunked), the limit applies as the file is read.
    const rowsOf = (from: number) => Array.from({ length: 5000 }, (_, i) => `big${from + i}@example.com`).join('\n') + '\n';
    let part = 0;
    const chunked = await fetch(`${api.baseUrl}/v1/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.key}`, 'content-type': 'text/csv' },
      duplex: 'half',
      body: new ReadableStream<Uint8Array>({
        pull(controller) {
          if (part === 0) controller.enqueue(new TextEncoder().encode('email\n'));
          if (part++ >= 10) return controller.close(); // ~1 MB in all
          controller.enqueue(new TextEncoder().encode(rowsOf(part * 5000)));
        },
      }),
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as { error: { code: string } }).error.code).toBe('import_too_large');
    const noEmail = await uploadCsv('/v1/imports', 'name,plan\nAnn,pro\n');
    expect(noEmail.status).toBe(422);
    expect(noEmail.body.error.code).toBe('email_column_missing');
    expect((await uploadCsv('/v1/imports', '{"email":"a@b.c"}', a.key, 'application/json')).status).toBe(415);
    expect((await uploadCsv('/v1/imports?list_id=00000000-0000-4000-8000-000000000000', 'email\na@example.com\n')).status).toBe(404);
    const failed = (await req('GET', '/v1/imports?status=failed')).body.data;
    expect(failed.map((i: { error: string }) => i.error)).toEqual([expect.stringContaining('email column'), expect.stringContaining('IMPORT_MAX_BYTES')]);
  });

  it('exports a list as CSV, attribute columns included, formulas defused', async () => {
    const list = await req('POST', '/v1/lists', { name: 'Export me' });
    await req('POST', `/v1/lists/${list.body.id}/contacts`, [
      { email: 'x1@example.com', attributes: { name: 'X, One', note: '=HYPERLINK("http://evil")' } },
      { email: 'x2@example.com', attributes: { city: 'Oslo' } },
    ]);
    const res = await fetch(`${api.baseUrl}/v1/lists/${list.body.id}/export.csv`, { headers: { authorization: `Bearer ${a.key}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('email,status,contact_status,subscribed_at,confirmed_at,created_at,city,name,note');
    expect(lines.slice(1).sort()).toEqual([
      expect.stringMatching(/^x1@example\.com,subscribed,active,[^,]+,,[^,]+,,"X, One","'=HYPERLINK\(""http:\/\/evil""\)"$/),
      expect.stringMatching(/^x2@example\.com,subscribed,active,[^,]+,,[^,]+,Oslo,,$/),
    ]);
    // The export imports back: state columns are not taken as attributes.
    const back = await uploadCsv('/v1/imports', lines.join('\n'));
    expect(back.body).toMatchObject({ status: 'done', added: 0, updated: 2, rejected: 0 });
    expect((await req('GET', '/v1/contacts?email=x2@example.com')).body.data[0].attributes).toEqual({ city: 'Oslo' });
  });

  it('erases a contact: no personal data left, counts kept', async () => {
    const list = await req('POST', '/v1/lists', { name: 'Erasure' });
    const added = await req('POST', `/v1/lists/${list.body.id}/contacts`, [{ email: 'forget.me@example.com', attributes: { name: 'Forget Me' } }]);
    const id = added.body.data[0].id;
    const before = (await pg.query(`SELECT count(*)::int AS n FROM contacts WHERE account_id = $1`, [a.accountId])).rows[0].n;
    const erased = await req('DELETE', `/v1/contacts/${id}`);
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ id, email: `erased-${id}@erased.invalid`, attributes: {}, status: 'unsubscribed', consent: { ip: null, user_agent: null } });
    expect(erased.body.erased_at).toBeTruthy();
    expect((await pg.query(`SELECT count(*)::int AS n FROM contacts WHERE account_id = $1`, [a.accountId])).rows[0].n).toBe(before);
    expect((await pg.query(`SELECT 1 FROM contacts WHERE email LIKE '%forget.me%' OR attributes::text LIKE '%Forget%'`)).rowCount).toBe(0);
    expect((await req('GET', `/v1/lists/${list.body.id}`)).body.counts.subscribed).toBe(0);
    expect((await req('DELETE', `/v1/contacts/${id}`)).status).toBe(200); // again: harmless
    expect((await req('PATCH', `/v1/contacts/${id}`, { attributes: { name: 'Back' } })).body.error.code).toBe('contact_erased');
    // The address may come back as a new contact.
    expect((await req('POST', '/v1/contacts', [{ email: 'forget.me@example.com' }])).body.created).toBe(1);
  });

  it('updates a contact: attributes merge, null removes a key, status changes', async () => {
    const [contact] = (await req('POST', '/v1/contacts', [{ email: 'patch@example.com', attributes: { name: 'P', plan: 'free' } }])).body.data;
    const res = await req('PATCH', `/v1/contacts/${contact.id}`, { attributes: { plan: null, city: 'Rome' }, status: 'unsubscribed' });
    expect(res.body).toMatchObject({ attributes: { name: 'P', city: 'Rome' }, status: 'unsubscribed' });
    const shown = await req('GET', `/v1/contacts/${contact.id}`);
    expect(shown.body).toMatchObject({ email: 'patch@example.com', memberships: [], messages: [] });
  });

  it('keeps accounts apart: B cannot read or change A’s lists, contacts or imports, even by id', async () => {
    const list = (await req('POST', '/v1/lists', { name: 'Private' })).body;
    const contact = (await req('POST', `/v1/lists/${list.id}/contacts`, [{ email: 'private@example.com' }])).body.data[0];
    const imported = (await uploadCsv('/v1/imports', 'email\nsecret@example.com\n')).body;
    for (const [method, path, body] of [
      ['GET', `/v1/lists/${list.id}`],
      ['PATCH', `/v1/lists/${list.id}`, { name: 'mine' }],
      ['DELETE', `/v1/lists/${list.id}`],
      ['POST', `/v1/lists/${list.id}/contacts`, [{ email: 'intruder@example.com' }]],
      ['DELETE', `/v1/lists/${list.id}/contacts/private@example.com`],
      ['GET', `/v1/lists/${list.id}/export.csv`],
      ['GET', `/v1/contacts/${contact.id}`],
      ['PATCH', `/v1/contacts/${contact.id}`, { status: 'unsubscribed' }],
      ['DELETE', `/v1/contacts/${contact.id}`],
      ['GET', `/v1/imports/${imported.id}`],
      ['GET', `/v1/imports/${imported.id}/rejects.csv`],
    ] as Array<[string, string, unknown?]>) {
      const res = await req(method, path, body, b.key);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await uploadCsv(`/v1/imports?list_id=${list.id}`, 'email\nintruder@example.com\n', b.key)).status).toBe(404);
    expect((await req('GET', '/v1/contacts?email=private@example.com', undefined, b.key)).body.data).toEqual([]);
    expect((await req('GET', `/v1/contacts?list_id=${list.id}`, undefined, b.key)).body.data).toEqual([]);
    expect((await req('GET', '/v1/lists', undefined, b.key)).body).toEqual([]);
    expect((await req('GET', '/v1/imports', undefined, b.key)).body.data).toEqual([]);
    // B's own contact with the same address is B's alone.
    await req('POST', '/v1/contacts', [{ email: 'private@example.com', attributes: { owner: 'B' } }], b.key);
    expect((await req('GET', `/v1/contacts/${contact.id}`)).body.attributes).toEqual({});
    expect((await req('GET', `/v1/lists/${list.id}`)).body).toMatchObject({ name: 'Private', counts: { subscribed: 1 } });
  });
});
