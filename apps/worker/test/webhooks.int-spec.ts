import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountKey, createSendingAccount, SmtpSink, TestDnsServer, until, WebhookReceiver, type SendingAccount } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

/**
 * Webhook delivery against receivers of the test's own: what each kind of answer does, signed
 * as the standardwebhooks package verifies. Test sends (POST /v1/webhooks/:id/test) reach one
 * endpoint only, so each case has an endpoint to itself; short timeouts and retries come from
 * settings, not fake timers.
 */
describe('webhook delivery', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let receiver: WebhookReceiver;
  let sender: SendingAccount;
  let pg: Client;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    sink = await SmtpSink.start({ host: '127.0.0.7' });
    dns.add({ type: 'MX', name: 'hooks-rcpt.test', exchange: 'mx.hooks-rcpt.test', priority: 10 }, { type: 'A', name: 'mx.hooks-rcpt.test', address: '127.0.0.7' });
    receiver = await WebhookReceiver.start();
    api = await startTestApi(
      {
        DNS_SERVERS: dns.address,
        OUTBOUND_SMTP_PORT: String(sink.port),
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_TIMEOUT_SECONDS: '1',
        WEBHOOK_RETRY_SCHEDULE: '1,1,1',
        SWEEP_INTERVAL_SECONDS: '1',
      },
      { worker: true },
    );
    sender = await createSendingAccount(api, dns, 'hooks.test');
    pg = new Client({ connectionString: api.db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await api?.close();
    await receiver?.close();
    await sink?.close();
    await dns?.close();
  });

  /** An endpoint of the sender's at its own path; the receiver verifies with its secret. */
  async function endpoint(path: string, events: string[] = ['message.delivered'], key = sender.key): Promise<{ id: string; secret: string }> {
    const res = await api.request('POST', '/v1/webhooks', { key, body: { url: receiver.url(path), events } });
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatch(/^whsec_/);
    receiver.secrets.push(res.body.secret);
    return { id: res.body.id, secret: res.body.secret };
  }

  const verifiedWith = (r: { verified: boolean[] }, secret: string) => r.verified[receiver.secrets.indexOf(secret)] === true;
  const log = async (id: string) => (await api.request('GET', `/v1/webhooks/${id}/deliveries`, { key: sender.key })).body.data as any[];
  const test = async (id: string) => {
    const res = await api.request('POST', `/v1/webhooks/${id}/test`, { key: sender.key });
    expect(res.status).toBe(202);
    return res.body as { event_id: string; delivery_id: string };
  };
  const settled = (id: string, status: string) => until(async () => (await log(id)).some((d) => d.status === status), { timeoutMs: 60_000 });

  it('delivers message.delivered with the recipient, the remote reply, tags and metadata, signed, and logs the 200', async () => {
    const hook = await endpoint('/ok');
    const sent = await api.request('POST', '/v1/messages', {
      key: sender.key,
      body: { from: 'app@hooks.test', to: 'ann@hooks-rcpt.test', subject: 'Order', text: 'x', tags: ['orders'], metadata: { order: 42 } },
    });
    expect(sent.status).toBe(202);
    await receiver.waitUntil(() => receiver.at('/ok').length >= 1);
    const [got] = receiver.at('/ok');
    expect(verifiedWith(got!, hook.secret)).toBe(true);
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.payload).toMatchObject({
      type: 'message.delivered',
      data: { message_id: sent.body.id, recipient: 'ann@hooks-rcpt.test', tags: ['orders'], metadata: { order: 42 }, stream: 'transactional', reply: { code: 250 } },
    });
    expect(Date.parse(got!.payload!.timestamp)).toBeGreaterThan(0);
    expect(Buffer.byteLength(got!.body)).toBeLessThan(20 * 1024);
    // webhook-id is the event's id, readable in the API.
    const event = await api.request('GET', `/v1/events/${got!.id}`, { key: sender.key });
    expect(event.status).toBe(200);
    expect(event.body.payload).toEqual(got!.payload);

    expect(await settled(hook.id, 'succeeded')).toBe(true);
    const [entry] = await log(hook.id);
    expect(entry).toMatchObject({ event_id: got!.id, event_type: 'message.delivered', status: 'succeeded', attempts: 1, last_status_code: 200, last_response: 'ok' });
  });

  it('counts a 3xx as a failure and follows no redirect; the same webhook-id on every attempt, re-signed each time', async () => {
    const hook = await endpoint('/moved');
    receiver.answer = (r) => (r.path === '/moved' ? { status: 302, headers: { location: receiver.url('/elsewhere') } } : { status: 200 });
    const sent = await test(hook.id);
    expect(await settled(hook.id, 'failed')).toBe(true);
    const attempts = receiver.at('/moved');
    expect(attempts).toHaveLength(4); // the first and the three of WEBHOOK_RETRY_SCHEDULE
    expect(new Set(attempts.map((a) => a.id))).toEqual(new Set([sent.event_id]));
    expect(attempts.every((a) => verifiedWith(a, hook.secret))).toBe(true);
    for (let i = 1; i < attempts.length; i++) expect(attempts[i]!.timestamp).toBeGreaterThanOrEqual(attempts[i - 1]!.timestamp);
    expect(receiver.at('/elsewhere')).toHaveLength(0);
    const detail = await api.request('GET', `/v1/webhooks/${hook.id}/deliveries/${sent.delivery_id}`, { key: sender.key });
    expect(detail.body.attempt_log.map((a: any) => a.status_code)).toEqual([302, 302, 302, 302]);
    expect(detail.body.last_error).toContain('redirect');
    expect(detail.body.payload.type).toBe('webhook.test');
  });

  it('retries a 500 on the schedule until it is used up, then marks the delivery failed', async () => {
    const hook = await endpoint('/broken');
    receiver.answer = (r) => (r.path === '/broken' ? { status: 500, body: 'database on fire' } : { status: 200 });
    const sent = await test(hook.id);
    expect(await settled(hook.id, 'failed')).toBe(true);
    expect(receiver.at('/broken')).toHaveLength(4);
    const detail = (await api.request('GET', `/v1/webhooks/${hook.id}/deliveries/${sent.delivery_id}`, { key: sender.key })).body;
    expect(detail).toMatchObject({ status: 'failed', attempts: 4, last_status_code: 500, last_response: 'database on fire', next_attempt_at: null });
    expect(detail.attempt_log).toHaveLength(4);
  });

  it('waits as long as a 429 Retry-After asks, not the schedule', async () => {
    // The schedule says 1 s; the endpoint asks for 3.
    const hook = await endpoint('/busy');
    let calls = 0;
    receiver.answer = (r) => (r.path === '/busy' ? (calls++ === 0 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 200 }) : { status: 200 });
    const sent = await test(hook.id);
    expect(await settled(hook.id, 'succeeded')).toBe(true);
    const [first, second] = receiver.at('/busy');
    expect(first!.id).toBe(sent.event_id);
    expect(second!.id).toBe(sent.event_id);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2900);
    const detail = (await api.request('GET', `/v1/webhooks/${hook.id}/deliveries/${sent.delivery_id}`, { key: sender.key })).body;
    expect(detail.attempt_log.map((a: any) => a.status_code)).toEqual([429, 200]);
  });

  it('gives up on an endpoint that does not answer within the timeout, and retries it', async () => {
    const hook = await endpoint('/silent');
    receiver.answer = (r) => (r.path === '/silent' ? { hang: true } : { status: 200 });
    const sent = await test(hook.id);
    expect(await settled(hook.id, 'failed')).toBe(true);
    const detail = (await api.request('GET', `/v1/webhooks/${hook.id}/deliveries/${sent.delivery_id}`, { key: sender.key })).body;
    expect(detail.attempt_log).toHaveLength(4);
    expect(detail.attempt_log.every((a: any) => a.status_code === null && /no answer within 1 s/.test(a.error))).toBe(true);
  });

  it('disables an endpoint that answers 410 Gone, tells the account in the API, and sends it nothing more', async () => {
    const hook = await endpoint('/gone', ['*']);
    receiver.answer = (r) => (r.path === '/gone' ? { status: 410 } : { status: 200 });
    await test(hook.id);
    expect(await until(async () => (await api.request('GET', `/v1/webhooks/${hook.id}`, { key: sender.key })).body.enabled === false)).toBe(true);
    const shown = (await api.request('GET', `/v1/webhooks/${hook.id}`, { key: sender.key })).body;
    expect(shown.disabled_reason).toContain('410');
    expect(receiver.at('/gone')).toHaveLength(1);
    const events = (await api.request('GET', '/v1/events?type=webhook.disabled', { key: sender.key })).body.data;
    expect(events.map((e: any) => e.payload.data.webhook_id)).toContain(hook.id);
    // Events keep flowing to other endpoints, and nothing more reaches the disabled one.
    await endpoint('/still-here', ['message.delivered']);
    await api.request('POST', '/v1/messages', { key: sender.key, body: { from: 'app@hooks.test', to: 'bob@hooks-rcpt.test', subject: 'after', text: 'x' } });
    await receiver.waitUntil(() => receiver.at('/still-here').some((r) => r.payload?.data.recipient === 'bob@hooks-rcpt.test'));
    expect(receiver.at('/gone')).toHaveLength(1);
    // Enabling it again clears the reason; what it missed can be replayed.
    const enabled = await api.request('PATCH', `/v1/webhooks/${hook.id}`, { key: sender.key, body: { enabled: true } });
    expect(enabled.body).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it('signs with both secrets during a rotation, each verifying with the standardwebhooks package', async () => {
    const hook = await endpoint('/rotating');
    receiver.answer = () => ({ status: 200 });
    const rotated = await api.request('POST', `/v1/webhooks/${hook.id}/rotate-secret`, { key: sender.key, body: { old_secret_expires_in: 3600 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    receiver.secrets.push(rotated.body.secret);
    await test(hook.id);
    await receiver.waitUntil(() => receiver.at('/rotating').length >= 1);
    const [got] = receiver.at('/rotating');
    expect(got!.signature.split(' ')).toHaveLength(2);
    expect(verifiedWith(got!, hook.secret)).toBe(true);
    expect(verifiedWith(got!, rotated.body.secret)).toBe(true);
    const secrets = (await api.request('GET', `/v1/webhooks/${hook.id}/secret`, { key: sender.key })).body;
    expect(secrets).toMatchObject({ secret: rotated.body.secret, previous_secret: hook.secret });

    // Once the window closes, only the new secret signs.
    await api.request('POST', `/v1/webhooks/${hook.id}/rotate-secret`, { key: sender.key, body: { secret: rotated.body.secret, old_secret_expires_in: 0 } });
    await test(hook.id);
    await receiver.waitUntil(() => receiver.at('/rotating').length >= 2);
    const later = receiver.at('/rotating')[1]!;
    expect(later.signature.split(' ')).toHaveLength(1);
    expect(verifiedWith(later, rotated.body.secret)).toBe(true);
    expect(verifiedWith(later, hook.secret)).toBe(false);
  });

  it('replays one delivery, and every failed one since a time, under the same webhook-id', async () => {
    const hook = await endpoint('/flaky');
    let healthy = false;
    receiver.answer = (r) => (r.path === '/flaky' ? { status: healthy ? 200 : 503 } : { status: 200 });
    const since = new Date().toISOString();
    const first = await test(hook.id);
    const second = await test(hook.id);
    expect(await until(async () => (await log(hook.id)).filter((d) => d.status === 'failed').length === 2)).toBe(true);
    expect((await api.request('POST', `/v1/webhooks/${hook.id}/deliveries/${first.delivery_id}/replay`, { key: sender.key })).status).toBe(202);
    // Still being tried: a second replay of it is refused.
    const again = await api.request('POST', `/v1/webhooks/${hook.id}/deliveries/${first.delivery_id}/replay`, { key: sender.key });
    expect([202, 409]).toContain(again.status);
    healthy = true;
    expect(await settled(hook.id, 'succeeded')).toBe(true);
    const replayed = await api.request('POST', `/v1/webhooks/${hook.id}/replay`, { key: sender.key, body: { since } });
    expect(replayed.body.replayed).toBe(1);
    expect(await until(async () => (await log(hook.id)).every((d) => d.status === 'succeeded'))).toBe(true);
    const ok = receiver.at('/flaky').filter((r) => r.status === 200).map((r) => r.id);
    expect(ok.sort()).toEqual([first.event_id, second.event_id].sort());
  });

  it('sends an endpoint only the types it subscribed to', async () => {
    const bouncesOnly = await endpoint('/bounces-only', ['message.bounced']);
    await endpoint('/delivered-too', ['message.delivered']);
    receiver.answer = () => ({ status: 200 });
    await api.request('POST', '/v1/messages', { key: sender.key, body: { from: 'app@hooks.test', to: 'cy@hooks-rcpt.test', subject: 'x', text: 'x' } });
    await receiver.waitUntil(() => receiver.at('/delivered-too').some((r) => r.payload?.data.recipient === 'cy@hooks-rcpt.test'));
    expect(receiver.at('/bounces-only')).toHaveLength(0);
    expect(await log(bouncesOnly.id)).toEqual([]);
  });

  it('stores no event for an account without endpoints', async () => {
    const quiet = await createSendingAccount(api, dns, 'quiet-hooks.test');
    const sent = await api.request('POST', '/v1/messages', { key: quiet.key, body: { from: 'app@quiet-hooks.test', to: 'dee@hooks-rcpt.test', subject: 'x', text: 'x' } });
    expect(await until(async () => (await pg.query(`SELECT 1 FROM recipients WHERE message_id = $1 AND status = 'delivered'`, [sent.body.id])).rowCount === 1)).toBe(true);
    expect((await api.request('GET', '/v1/events', { key: quiet.key })).body.data).toEqual([]);
  });
  it('shows queue depths, the oldest pending work, delivery outcomes by class and webhook results on /metrics', async () => {
    const hook = await endpoint('/metered', ['message.delivered']);
    receiver.answer = () => ({ status: 200 });
    await api.request('POST', '/v1/messages', { key: sender.key, body: { from: 'app@hooks.test', to: 'eve@hooks-rcpt.test', subject: 'x', text: 'x' } });
    await receiver.waitUntil(() => receiver.at('/metered').length >= 1);
    expect(await settled(hook.id, 'succeeded')).toBe(true);
    const metrics = (await api.request('GET', '/metrics')).body as string;
    for (const queue of ['delivery', 'webhooks']) {
      expect(metrics).toMatch(new RegExp(`^mailroom_queue_depth\\{queue="${queue}",state="waiting"\\} \\d+$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^mailroom_queue_oldest_pending_seconds\\{queue="${queue}"\\} [\\d.e+-]+$`, 'm'));
    }
    expect(metrics).toMatch(/^mailroom_delivery_outcomes_total\{class="delivered"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^mailroom_webhook_deliveries_total\{result="success"\} [1-9]\d*$/m);
  });
});
