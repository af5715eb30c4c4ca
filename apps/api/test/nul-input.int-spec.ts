import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

/**
 * A NUL (or a lone UTF-16 surrogate, which has no UTF-8 form) can be sent in any query, path
 * or JSON string, and PostgreSQL cannot hold it: every endpoint answers 400 invalid_request
 * naming the parameter, never a 500.
 */
describe('NUL and lone surrogates in API input', () => {
  let api: TestApi;
  let key: string;
  let accountId: string;

  beforeAll(async () => {
    api = await startTestApi();
    const account = await api.request('POST', '/v1/accounts', { key: api.adminKey, body: { name: 'Nul Test' } });
    accountId = account.body.id;
    key = (await api.request('POST', `/v1/accounts/${accountId}/api-keys`, { key: api.adminKey, body: {} })).body.key;
  });
  afterAll(async () => api?.close());

  const expectRefused = (res: { status: number; body: any }, field: string, what: RegExp = /NUL/) => {
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message: expect.stringMatching(what) } });
    expect(res.body.error.message.startsWith(`${field}: `), res.body.error.message).toBe(true);
  };

  it('GET /v1/messages with a NUL in any query parameter', async () => {
    for (const name of ['recipient', 'tag', 'status', 'cursor', 'limit']) {
      expectRefused(await api.request('GET', `/v1/messages?${name}=a%00b`, { key }), name);
    }
    expectRefused(await api.request('GET', '/v1/messages?recipient=%00', { key }), 'recipient');
    expectRefused(await api.request('GET', '/v1/messages?tag=%00', { key }), 'tag');
    // The key is checked first: nobody learns anything without one.
    expect((await api.request('GET', '/v1/messages?recipient=%00')).status).toBe(401);
    // The same query without the NUL works.
    expect((await api.request('GET', '/v1/messages?recipient=a&tag=b', { key })).status).toBe(200);
  });

  it('GET /v1/suppressions with a NUL in its query', async () => {
    expectRefused(await api.request('GET', '/v1/suppressions?cursor=%00', { key }), 'cursor');
    expectRefused(await api.request('GET', '/v1/suppressions?reason=manual%00', { key }), 'reason');
  });

  it('a NUL in a path parameter of every route that has one', async () => {
    const routes: Array<[string, string, string?]> = [
      ['GET', '/v1/messages/%00'],
      ['GET', '/v1/messages/a%00b'],
      ['GET', '/v1/domains/%00'],
      ['PATCH', '/v1/domains/%00'],
      ['POST', '/v1/domains/%00/verify'],
      ['GET', '/v1/mailboxes/%00'],
      ['DELETE', '/v1/mailboxes/%00'],
      ['DELETE', '/v1/smtp-credentials/%00'],
      ['DELETE', '/v1/api-keys/%00'],
      ['GET', '/v1/templates/%00'],
      ['PUT', '/v1/templates/%00'],
      ['DELETE', '/v1/templates/%00'],
      ['GET', '/v1/suppressions/%00'],
      ['GET', '/v1/suppressions/a%00@example.test'],
      ['DELETE', '/v1/suppressions/a%00@example.test'],
      ['GET', '/v1/accounts/%00', 'admin'],
      ['PATCH', '/v1/accounts/%00', 'admin'],
      ['POST', '/v1/accounts/%00/api-keys', 'admin'],
    ];
    for (const [method, path, who] of routes) {
      const body = ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined;
      const res = await api.request(method, path, { key: who ? api.adminKey : key, body });
      expectRefused(res, path.includes('suppressions') ? 'email' : 'id');
    }
  });

  it('a NUL in any string of a JSON body, values and keys, at any depth', async () => {
    const message = { from: 'Shop <orders@shop.test>', to: 'customer@example.test', subject: 'Hi', text: 'Hello' };
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/v1/accounts', { name: 'A\0' }, 'name'],
      ['PATCH', `/v1/accounts/${'00000000-0000-4000-8000-000000000000'}`, { name: '\0' }, 'name'],
      ['POST', `/v1/accounts/${'00000000-0000-4000-8000-000000000000'}/api-keys`, { name: 'k\0' }, 'name'],
      ['POST', '/v1/api-keys', { name: 'k\0' }, 'name'],
      ['POST', '/v1/domains', { name: 'shop\0.test' }, 'name'],
      ['POST', '/v1/smtp-credentials', { username: 'app\0' }, 'username'],
      ['POST', '/v1/smtp-credentials', { username: 'app', password: 'secret\0secret-secret-secret' }, 'password'],
      ['POST', '/v1/mailboxes', { address: 'a\0@shop.test' }, 'address'],
      ['POST', '/v1/templates', { name: 'T', subject: 'S\0', text: 'x' }, 'subject'],
      ['POST', '/v1/templates', { name: 'T\0', subject: 'S', text: 'x' }, 'name'],
      ['POST', '/v1/templates', { name: 'T', subject: 'S', html: '<p>\0</p>' }, 'html'],
      ['POST', '/v1/suppressions', { email: 'a@example.test', detail: 'why\0' }, 'detail'],
      ['POST', '/v1/messages', { ...message, from: 'Shop\0 <orders@shop.test>' }, 'from'],
      ['POST', '/v1/messages', { ...message, to: ['ok@example.test', 'x\0@example.test'] }, 'to.1'],
      ['POST', '/v1/messages', { ...message, cc: 'x\0@example.test' }, 'cc'],
      ['POST', '/v1/messages', { ...message, bcc: ['x@example.test\0'] }, 'bcc.0'],
      ['POST', '/v1/messages', { ...message, reply_to: 'x\0@example.test' }, 'reply_to'],
      ['POST', '/v1/messages', { ...message, subject: 'Hi\0' }, 'subject'],
      ['POST', '/v1/messages', { ...message, text: 'body\0' }, 'text'],
      ['POST', '/v1/messages', { ...message, html: '<b>\0</b>' }, 'html'],
      ['POST', '/v1/messages', { ...message, template_id: '\0' }, 'template_id'],
      ['POST', '/v1/messages', { ...message, data: { user: { name: 'A\0' } } }, 'data.user.name'],
      ['POST', '/v1/messages', { ...message, data: { 'na\0me': 'A' } }, 'data'],
      ['POST', '/v1/messages', { ...message, headers: { 'X-A': 'b\0' } }, 'headers.X-A'],
      ['POST', '/v1/messages', { ...message, headers: { 'X-\0': 'b' } }, 'headers'],
      ['POST', '/v1/messages', { ...message, attachments: [{ filename: 'a\0.txt', content: 'eA==' }] }, 'attachments.0.filename'],
      ['POST', '/v1/messages', { ...message, attachments: [{ filename: 'a.txt', content: 'eA==\0' }] }, 'attachments.0.content'],
      ['POST', '/v1/messages', { ...message, attachments: [{ filename: 'a.txt', content: 'eA==', content_type: 'text/plain\0' }] }, 'attachments.0.content_type'],
      ['POST', '/v1/messages', { ...message, tags: ['ok', '\0'] }, 'tags.1'],
      ['POST', '/v1/messages', { ...message, metadata: { order: ['x', { id: '1\0' }] } }, 'metadata.order.1.id'],
      ['POST', '/v1/messages', { ...message, stream: 'broadcast\0' }, 'stream'],
      ['POST', '/v1/messages', { ...message, send_at: '2030-01-01T00:00:00Z\0' }, 'send_at'],
      ['POST', '/v1/messages/batch', [message, { ...message, subject: 'Hi\0' }], '1.subject'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await api.request(method, path, { key: path.startsWith('/v1/accounts') ? api.adminKey : key, body });
      expectRefused(res, field);
    }
  });

  it('a lone surrogate (no UTF-8 form; jsonb refuses its escape) is refused the same way', async () => {
    const res = await api.request('POST', '/v1/messages', {
      key,
      body: { from: 'Shop <orders@shop.test>', to: 'customer@example.test', subject: 'Hi', text: 'x', metadata: { a: 'x\uD800y' } },
    });
    expectRefused(res, 'metadata.a', /surrogate/);
    expectRefused(await api.request('POST', '/v1/accounts', { key: api.adminKey, body: { name: '\uDC00' } }), 'name', /surrogate/);
  });
});
