import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountKey, TestDnsServer, until, WebhookReceiver } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

/**
 * /v1/webhooks and /v1/events as a user calls them: validation, the SSRF guard at create and
 * again at send (WEBHOOK_ALLOW_PRIVATE is left off here), and tenant isolation on every route.
 */
describe('webhook endpoints API', () => {
  let dns: TestDnsServer;
  let api: TestApi;
  let receiver: WebhookReceiver;
  let a: string;
  let b: string;
  const records = [
    { type: 'A' as const, name: 'public.hooks.test', address: '93.184.216.34' },
    { type: 'A' as const, name: 'internal.hooks.test', address: '10.1.2.3' },
    { type: 'A' as const, name: 'metadata.hooks.test', address: '169.254.169.254' },
    { type: 'AAAA' as const, name: 'loop6.hooks.test', address: '::1' },
    { type: 'A' as const, name: 'mixed.hooks.test', address: '93.184.216.34' },
    { type: 'A' as const, name: 'mixed.hooks.test', address: '192.168.0.10' },
    { type: 'A' as const, name: 'rebind.hooks.test', address: '93.184.216.34' },
  ];

  beforeAll(async () => {
    dns = await TestDnsServer.start(records);
    receiver = await WebhookReceiver.start();
    api = await startTestApi({ DNS_SERVERS: dns.address, WEBHOOK_TIMEOUT_SECONDS: '2', WEBHOOK_RETRY_SCHEDULE: '1', SWEEP_INTERVAL_SECONDS: '1' }, { worker: true });
    ({ key: a } = await createAccountKey(api, 'a'));
    ({ key: b } = await createAccountKey(api, 'b'));
  });

  afterAll(async () => {
    await api?.close();
    await receiver?.close();
    await dns?.close();
  });

  const create = (key: string, body: Record<string, unknown>) => api.request('POST', '/v1/webhooks', { key, body });

  it('creates an endpoint with a whsec_ secret of 32 bytes, shown at creation and on request, never in listings', async () => {
    const res = await create(a, { url: 'https://public.hooks.test/in', events: ['message.delivered', 'message.bounced'], description: 'orders' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ url: 'https://public.hooks.test/in', events: ['message.delivered', 'message.bounced'], description: 'orders', enabled: true, disabled_reason: null });
    expect(Buffer.from(res.body.secret.slice(6), 'base64')).toHaveLength(32);
    const list = await api.request('GET', '/v1/webhooks', { key: a });
    expect(list.body.data.map((w: any) => w.id)).toContain(res.body.id);
    expect(JSON.stringify(list.body)).not.toContain(res.body.secret);
    expect(JSON.stringify((await api.request('GET', `/v1/webhooks/${res.body.id}`, { key: a })).body)).not.toContain(res.body.secret);
    expect((await api.request('GET', `/v1/webhooks/${res.body.id}/secret`, { key: a })).body.secret).toBe(res.body.secret);
    const changed = await api.request('PATCH', `/v1/webhooks/${res.body.id}`, { key: a, body: { events: ['*'], enabled: false } });
    expect(changed.body).toMatchObject({ events: ['*'], enabled: false, disabled_reason: 'disabled by the account' });
    expect((await api.request('DELETE', `/v1/webhooks/${res.body.id}`, { key: a })).status).toBe(204);
    expect((await api.request('GET', `/v1/webhooks/${res.body.id}`, { key: a })).status).toBe(404);
  });

  it('takes a secret of the account own, of 24 to 64 bytes only', async () => {
    const own = `whsec_${randomBytes(24).toString('base64')}`;
    expect((await create(a, { url: 'https://public.hooks.test/own', events: ['*'], secret: own })).body.secret).toBe(own);
    for (const secret of [`whsec_${randomBytes(16).toString('base64')}`, `whsec_${randomBytes(65).toString('base64')}`, randomBytes(32).toString('base64'), 'whsec_***']) {
      const res = await create(a, { url: 'https://public.hooks.test/own', events: ['*'], secret });
      expect(res.status, secret).toBe(422);
      expect(res.body.error.code).toBe('invalid_secret');
    }
  });

  it('refuses malformed requests: unknown event types, no events, bad URLs, unknown fields', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ url: 'https://public.hooks.test/', events: ['message.exploded'] }, 422, 'unknown_event_type'],
      [{ url: 'https://public.hooks.test/', events: [] }, 400, 'invalid_request'],
      [{ url: 'ftp://public.hooks.test/', events: ['*'] }, 422, 'invalid_url'],
      [{ url: 'not a url', events: ['*'] }, 422, 'invalid_url'],
      [{ url: 'https://public.hooks.test/', events: ['*'], admin: true }, 400, 'invalid_request'],
    ];
    for (const [body, status, code] of cases) {
      const res = await create(a, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.code, JSON.stringify(body)).toBe(code);
    }
  });

  it('refuses URLs that reach loopback, private, link-local or metadata addresses', async () => {
    for (const url of [
      'http://127.0.0.1:8080/',
      'http://localhost/',
      'http://[::1]/',
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:127.0.0.1]/',
      'http://0.0.0.0/',
      'https://internal.hooks.test/',
      'https://metadata.hooks.test/',
      'https://loop6.hooks.test/',
      'https://mixed.hooks.test/',
    ]) {
      const res = await create(a, { url, events: ['*'] });
      expect(res.status, url).toBe(422);
      expect(res.body.error.code, url).toBe('webhook_url_refused');
    }
    const moved = await create(a, { url: 'https://public.hooks.test/x', events: ['*'] });
    expect((await api.request('PATCH', `/v1/webhooks/${moved.body.id}`, { key: a, body: { url: 'http://192.168.1.1/' } })).status).toBe(422);
  });

  it('resolves the host again for every connection: a name that now points at this machine is refused at send', async () => {
    const hook = await create(a, { url: `http://rebind.hooks.test:${receiver.port}/rebind`, events: ['*'] });
    expect(hook.status).toBe(201);
    dns.set(records.map((r) => (r.name === 'rebind.hooks.test' ? { ...r, address: '127.0.0.1' } : r)));
    const sent = await api.request('POST', `/v1/webhooks/${hook.body.id}/test`, { key: a });
    expect(sent.status).toBe(202);
    const log = async () => (await api.request('GET', `/v1/webhooks/${hook.body.id}/deliveries/${sent.body.delivery_id}`, { key: a })).body;
    expect(await until(async () => (await log()).attempt_log.length > 0)).toBe(true);
    expect((await log()).attempt_log[0].error).toContain('127.0.0.1');
    expect(receiver.at('/rebind')).toHaveLength(0);
  });

  it("keeps every route of one account's endpoints away from another account", async () => {
    const hook = await create(a, { url: 'https://public.hooks.test/private', events: ['*'] });
    const sent = await api.request('POST', `/v1/webhooks/${hook.body.id}/test`, { key: a });
    const id = hook.body.id;
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/v1/webhooks/${id}`],
      ['PATCH', `/v1/webhooks/${id}`, { enabled: false }],
      ['GET', `/v1/webhooks/${id}/secret`],
      ['POST', `/v1/webhooks/${id}/rotate-secret`, {}],
      ['POST', `/v1/webhooks/${id}/test`],
      ['GET', `/v1/webhooks/${id}/deliveries`],
      ['GET', `/v1/webhooks/${id}/deliveries/${sent.body.delivery_id}`],
      ['POST', `/v1/webhooks/${id}/deliveries/${sent.body.delivery_id}/replay`],
      ['POST', `/v1/webhooks/${id}/replay`, { since: new Date(0).toISOString() }],
      ['GET', `/v1/events/${sent.body.event_id}`],
      ['DELETE', `/v1/webhooks/${id}`],
    ];
    for (const [method, path, body] of routes) {
      const res = await api.request(method, path, { key: b, body });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await api.request('GET', '/v1/webhooks', { key: b })).body.data).toEqual([]);
    expect((await api.request('GET', '/v1/events', { key: b })).body.data).toEqual([]);
    // Still there, unchanged, for its owner.
    const mine = await api.request('GET', `/v1/webhooks/${id}`, { key: a });
    expect(mine.body.enabled).toBe(true);
    expect((await api.request('GET', `/v1/events/${sent.body.event_id}`, { key: a })).body.type).toBe('webhook.test');
  });
});
