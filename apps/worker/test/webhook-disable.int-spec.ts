import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountKey, createSendingAccount, freePort, SmtpSink, TestDnsServer, until, WebhookReceiver } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

/**
 * An endpoint whose every attempt fails for longer than WEBHOOK_DISABLE_AFTER_HOURS (here
 * 0.001 h, 3.6 s) is disabled; the account finds a webhook.disabled event in the API and a mail
 * at its address, sent from SYSTEM_MAIL_FROM like any other mail.
 */
describe('an endpoint failing too long', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    const port = await freePort();
    sink = await SmtpSink.start({ host: '127.0.0.4', port });
    dns.add({ type: 'MX', name: 'customer-mail.test', exchange: 'mx.customer-mail.test', priority: 10 }, { type: 'A', name: 'mx.customer-mail.test', address: '127.0.0.4' });
    receiver = await WebhookReceiver.start();
    api = await startTestApi(
      {
        DNS_SERVERS: dns.address,
        OUTBOUND_SMTP_PORT: String(port),
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_RETRY_SCHEDULE: '1,1,1,1,1,1,1,1,1,1,1,1,1,1,1',
        WEBHOOK_DISABLE_AFTER_HOURS: '0.001',
        SWEEP_INTERVAL_SECONDS: '1',
        SYSTEM_MAIL_FROM: 'Mailroom <notices@ops.test>',
      },
      { worker: true },
    );
    await createSendingAccount(api, dns, 'ops.test');
  });

  afterAll(async () => {
    await api?.close();
    await receiver?.close();
    await sink?.close();
    await dns?.close();
  });

  it('is disabled, its waiting deliveries end as failed, and the account is told in the API and by mail', async () => {
    const { accountId, key } = await createAccountKey(api, 'customer');
    const patched = await api.request('PATCH', `/v1/accounts/${accountId}`, { key: api.adminKey, body: { email: 'Owner@Customer-Mail.test' } });
    expect(patched.status).toBe(200);
    expect(patched.body.email).toBe('Owner@customer-mail.test');
    expect((await api.request('PATCH', `/v1/accounts/${accountId}`, { key: api.adminKey, body: { email: 'not an address' } })).status).toBe(422);

    receiver.answer = () => ({ status: 500, body: 'down for maintenance' });
    const hook = await api.request('POST', '/v1/webhooks', { key, body: { url: receiver.url('/down'), events: ['*'] } });
    const first = await api.request('POST', `/v1/webhooks/${hook.body.id}/test`, { key });
    expect(first.status).toBe(202);

    expect(await until(async () => (await api.request('GET', `/v1/webhooks/${hook.body.id}`, { key })).body.enabled === false, { timeoutMs: 60_000 })).toBe(true);
    const shown = (await api.request('GET', `/v1/webhooks/${hook.body.id}`, { key })).body;
    expect(shown.disabled_reason).toMatch(/every attempt failed for more than/);
    expect(shown.failing_since).not.toBeNull();
    // Its delivery was still being retried: it ends failed, and can be replayed once the endpoint is back.
    const delivery = (await api.request('GET', `/v1/webhooks/${hook.body.id}/deliveries/${first.body.delivery_id}`, { key })).body;
    expect(delivery.status).toBe('failed');

    const notices = (await api.request('GET', '/v1/events?type=webhook.disabled', { key })).body.data;
    expect(notices).toHaveLength(1);
    expect(notices[0].payload.data).toMatchObject({ webhook_id: hook.body.id, url: receiver.url('/down') });

    await sink.waitFor(1, 60_000);
    const mail = sink.messages.find((m) => m.to.includes('Owner@customer-mail.test'));
    expect(mail).toBeDefined();
    const raw = mail!.raw.toString('utf8');
    expect(raw).toMatch(/^Subject: Webhook endpoint disabled/m);
    expect(raw).toContain(hook.body.id);
    expect(raw).toMatch(/^From: Mailroom <notices@ops\.test>/m);
  });
});
