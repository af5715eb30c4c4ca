import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountKey, feedbackReport, freePort, publishRecords, SmtpSink, TestDnsServer, until, WebhookReceiver, type ReceivedWebhook } from '@mailroom/testing';
import { InboundModule } from '../../smtp/src/inbound/inbound.module';
import { sendOnce } from '../../smtp/test/inbound-harness';
import { startTestApi, type TestApi } from './support/test-api';

/**
 * Every event type reaches an endpoint subscribed to "*", from the change that causes it, over
 * real sockets: domain verification through the API, mail through the worker to a remote MX
 * that accepts, refuses, blocks and defers, a complaint and a reply through the inbound MX, a
 * list subscription, a campaign sent to its end, and an open through the tracking pixel.
 */
describe('events out, one of each', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let receiver: WebhookReceiver;
  let key: string;
  let inboundPort: number;
  const deferredOnce = new Set<string>();

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    const port = await freePort();
    sink = await SmtpSink.start({
      host: '127.0.0.2',
      port,
      behaviour: {
        rcpt(address) {
          if (address.startsWith('gone@')) return { code: 550, message: '5.1.1 no such user' };
          if (address.startsWith('blocked@')) return { code: 554, message: '5.7.1 Service unavailable; client host blocked using Spamhaus' };
          if (address.startsWith('never@')) return { code: 451, message: '4.3.0 try again later' };
          if (address.startsWith('later@') && !deferredOnce.has(address)) {
            deferredOnce.add(address);
            return { code: 451, message: '4.3.0 busy, try again later' };
          }
          return undefined;
        },
      },
    });
    dns.add({ type: 'MX', name: 'readers.test', exchange: 'mx.readers.test', priority: 10 }, { type: 'A', name: 'mx.readers.test', address: '127.0.0.2' });
    inboundPort = await freePort();
    receiver = await WebhookReceiver.start();
    api = await startTestApi(
      {
        DNS_SERVERS: dns.address,
        OUTBOUND_SMTP_PORT: String(port),
        SMTP_INBOUND_PORT: String(inboundPort),
        WEBHOOK_ALLOW_PRIVATE: 'true',
        RETRY_SCHEDULE: '1',
        RETRY_MAX_AGE_HOURS: '0.002',
        SWEEP_INTERVAL_SECONDS: '1',
      },
      { worker: true, modules: [InboundModule] },
    );
    ({ key } = await createAccountKey(api, 'events'));
    const hook = await api.request('POST', '/v1/webhooks', { key, body: { url: receiver.url('/all'), events: ['*'] } });
    expect(hook.status).toBe(201);
    receiver.secrets.push(hook.body.secret);
  });

  afterAll(async () => {
    await api?.close();
    await receiver?.close();
    await sink?.close();
    await dns?.close();
  });

  const of = (type: string, match: (r: ReceivedWebhook) => boolean = () => true) => receiver.received.filter((r) => r.payload?.type === type && match(r));
  async function expectEvent(type: string, match: (r: ReceivedWebhook) => boolean = () => true): Promise<ReceivedWebhook> {
    await receiver.waitUntil(() => of(type, match).length > 0, 60_000, type).catch((error: Error) => {
      throw new Error(`${error.message}; got ${receiver.received.map((r) => `${r.payload?.type} ${r.payload?.data.recipient ?? ''}`).join(', ')}`);
    });
    const event = of(type, match)[0]!;
    expect(event.verified[0], `${type} signature`).toBe(true);
    return event;
  }

  async function send(to: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await api.request('POST', '/v1/messages', { key, body: { from: 'Shop <shop@events.test>', to, subject: `to ${to}`, text: 'x', ...extra } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id;
  }

  it('domain.verification_failed, then domain.verified', async () => {
    const created = await api.request('POST', '/v1/domains', { key, body: { name: 'events.test' } });
    expect(created.status).toBe(201);
    await api.request('POST', `/v1/domains/${created.body.id}/verify`, { key });
    const failed = await expectEvent('domain.verification_failed');
    expect(failed.payload!.data).toMatchObject({ domain_id: created.body.id, domain: 'events.test', verified: false, dkim: false });
    publishRecords(dns, created.body.dns);
    const verified = await api.request('POST', `/v1/domains/${created.body.id}/verify`, { key });
    expect(verified.status).toBe(200);
    const ok = await expectEvent('domain.verified');
    expect(ok.payload!.data).toMatchObject({ domain: 'events.test', verified: true, owned: true, dkim: true, spf: true });
  });

  it('message.delivered, bounced, blocked, deferred, failed and suppressed, each with the remote reply', async () => {
    const delivered = await send('ann@readers.test', { tags: ['t1'], metadata: { order: 7 } });
    const bounced = await send('gone@readers.test');
    const blocked = await send('blocked@readers.test');
    const later = await send('later@readers.test');
    const never = await send('never@readers.test');
    expect((await api.request('POST', '/v1/suppressions', { key, body: { email: 'optout@readers.test' } })).status).toBe(201);
    const suppressed = await send('optout@readers.test');

    const byMessage = (id: string) => (r: ReceivedWebhook) => r.payload?.data.message_id === id;
    expect((await expectEvent('message.delivered', byMessage(delivered))).payload!.data).toMatchObject({ recipient: 'ann@readers.test', tags: ['t1'], metadata: { order: 7 }, reply: { code: 250 } });
    expect((await expectEvent('message.bounced', byMessage(bounced))).payload!.data).toMatchObject({ bounce_type: 'hard', reply: { code: 550, enhanced: '5.1.1' } });
    expect((await expectEvent('message.blocked', byMessage(blocked))).payload!.data).toMatchObject({ reply: { code: 554, enhanced: '5.7.1' } });
    const deferred = (await expectEvent('message.deferred', byMessage(later))).payload!.data;
    expect(deferred).toMatchObject({ recipient: 'later@readers.test', reply: { code: 451 } });
    expect(Date.parse(deferred.next_attempt_at)).toBeGreaterThan(0);
    await expectEvent('message.delivered', byMessage(later));
    expect((await expectEvent('message.failed', byMessage(never))).payload!.data.reason).toContain('gave up');
    expect((await expectEvent('message.suppressed', byMessage(suppressed))).payload!.data).toMatchObject({ recipient: 'optout@readers.test' });
  });

  it('message.complained from a feedback report, and inbound.received for a reply filed into a mailbox', async () => {
    const id = await send('carol@readers.test');
    await expectEvent('message.delivered', (r) => r.payload?.data.message_id === id);
    const envelope = sink.messages.find((m) => m.to.includes('carol@readers.test'))!.from;
    const arf = feedbackReport({
      from: 'fbl@readers.test',
      to: envelope,
      subject: 'complaint',
      text: ['An abuse report.'],
      mailFrom: envelope,
      recipient: 'carol@readers.test',
      original: [`Return-Path: <${envelope}>`, 'To: carol@readers.test', 'Subject: to carol', '', 'x'],
    });
    expect((await sendOnce(inboundPort, 'fbl@readers.test', [envelope], arf)).data).toMatch(/^250/);
    expect((await expectEvent('message.complained', (r) => r.payload?.data.message_id === id)).payload!.data.recipient).toBe('carol@readers.test');

    const mailbox = await api.request('POST', '/v1/mailboxes', { key, body: { address: 'support@events.test', password: 'a long enough password 1' } });
    expect(mailbox.status, JSON.stringify(mailbox.body)).toBe(201);
    const reply = ['From: Dee <dee@readers.test>', 'To: support@events.test', 'Subject: Re: my order', 'Message-ID: <reply-1@readers.test>', 'In-Reply-To: <order-1@events.test>', '', 'Where is it?', ''].join('\r\n');
    expect((await sendOnce(inboundPort, 'dee@readers.test', ['support@events.test'], reply)).data).toMatch(/^250/);
    const received = (await expectEvent('inbound.received')).payload!.data;
    expect(received).toMatchObject({ mailbox_id: mailbox.body.id, folder: 'INBOX', recipient: 'support@events.test', envelope_from: 'dee@readers.test', subject: 'Re: my order', message_id_header: 'reply-1@readers.test' });
    expect(received.uid).toBeGreaterThan(0);
    expect(received.uid_validity).toBeGreaterThan(0);
  });

  it('contact.subscribed and contact.unsubscribed, campaign.started and campaign.finished, message.opened', async () => {
    const list = await api.request('POST', '/v1/lists', { key, body: { name: 'Readers' } });
    expect(list.status, JSON.stringify(list.body)).toBe(201);
    expect((await api.request('POST', `/v1/lists/${list.body.id}/contacts`, { key, body: [{ email: 'reader@readers.test' }, { email: 'leaver@readers.test' }] })).status).toBe(200);
    expect((await expectEvent('contact.subscribed', (r) => r.payload?.data.email === 'reader@readers.test')).payload!.data).toMatchObject({ list_id: list.body.id, list_name: 'Readers' });
    expect((await api.request('DELETE', `/v1/lists/${list.body.id}/contacts/leaver@readers.test`, { key })).status).toBe(204);
    expect((await expectEvent('contact.unsubscribed', (r) => r.payload?.data.email === 'leaver@readers.test')).payload!.data).toMatchObject({ list_id: list.body.id, status: 'removed' });

    const campaign = await api.request('POST', '/v1/campaigns', {
      key,
      body: { name: 'November', list_ids: [list.body.id], from: 'News <news@events.test>', subject: 'News', html: '<p>Hello <a href="https://shop.example/">shop</a></p><p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>' },
    });
    expect(campaign.status, JSON.stringify(campaign.body)).toBe(201);
    const started = await api.request('POST', `/v1/campaigns/${campaign.body.id}/send`, { key });
    expect(started.status, JSON.stringify(started.body)).toBeLessThan(300);
    expect((await expectEvent('campaign.started')).payload!.data).toMatchObject({ campaign_id: campaign.body.id, name: 'November', status: 'sending' });
    const finished = (await expectEvent('campaign.finished')).payload!.data;
    expect(finished).toMatchObject({ campaign_id: campaign.body.id, status: 'sent', stats: { accepted: 1, delivered: 1 } });

    const raw = sink.messages.find((m) => m.to.includes('reader@readers.test'))!.raw.toString('latin1').replace(/=\r\n/g, '').replace(/=3D/g, '=');
    const pixel = /\/t\/o\/[A-Za-z0-9_.~-]+/.exec(raw)?.[0];
    expect(pixel).toBeDefined();
    await fetch(api.baseUrl + pixel!, { headers: { 'user-agent': 'Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15' } });
    const opened = (await expectEvent('message.opened')).payload!.data;
    expect(opened).toMatchObject({ recipient: 'reader@readers.test', campaign_id: campaign.body.id, stream: 'broadcast' });
    expect(typeof opened.machine).toBe('boolean');
  });

  it('every delivery verified, each event delivered under its own webhook-id', async () => {
    expect(receiver.received.every((r) => r.verified[0])).toBe(true);
    const types = new Set(receiver.received.map((r) => r.payload?.type));
    for (const type of ['domain.verified', 'domain.verification_failed', 'message.delivered', 'message.bounced', 'message.blocked', 'message.deferred', 'message.failed', 'message.suppressed', 'message.complained', 'inbound.received', 'contact.subscribed', 'contact.unsubscribed', 'campaign.started', 'campaign.finished', 'message.opened']) {
      expect(types, type).toContain(type);
    }
    await until(async () => (await api.request('GET', '/v1/events?limit=500', { key })).body.data.length >= receiver.received.length);
    const events = (await api.request('GET', '/v1/events?limit=500', { key })).body.data;
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(receiver.received.length);
    for (const r of receiver.received) expect(events.map((e: any) => e.id)).toContain(r.id);
  });
});
