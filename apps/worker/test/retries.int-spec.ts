import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendingAccount, SmtpSink, TestDnsServer, type SendingAccount, until } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

/** Temporary failures until the retry window closes. */
describe('retries', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let sender: SendingAccount;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    sink = await SmtpSink.start({ host: '127.0.0.11' });
    dns.add({ type: 'MX', name: 'busy.test', exchange: 'mx.busy.test', priority: 10 });
    dns.add({ type: 'A', name: 'mx.busy.test', address: '127.0.0.11' });
    // An 8-second retry window and 1-second retries, so a test sees the whole life of a message. (With
    // 2.5 s, a machine at load 20 made the first attempt so late that it was also the last.)
    api = await startTestApi(
      { DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(sink.port), RETRY_SCHEDULE: '1', RETRY_MAX_AGE_HOURS: String(8 / 3600), SWEEP_INTERVAL_SECONDS: '1' },
      { worker: true },
    );
    sender = await createSendingAccount(api, dns, 'retrying.test');
  });
  afterAll(async () => {
    await api?.close();
    await sink?.close();
    await dns?.close();
  });

  const send = async (to: string) => (await api.request('POST', '/v1/messages', { key: sender.key, body: { from: 'a@retrying.test', to, subject: 's', text: 't' } })).body.id as string;
  const get = async (id: string) => (await api.request('GET', `/v1/messages/${id}`, { key: sender.key })).body;

  it('retries a 4xx on the schedule and gives up as failed when the window closes', async () => {
    sink.behaviour = { rcpt: (address) => (address === 'full@busy.test' ? { code: 452, message: '4.3.1 Insufficient system storage' } : undefined) };
    const id = await send('full@busy.test');
    let message = await get(id);
    await until(async () => (message = await get(id)).recipients[0].status === 'failed', { intervalMs: 100 });
    const r = message.recipients[0];
    expect(r.status).toBe('failed');
    expect(r.attempts).toBeGreaterThanOrEqual(2);
    const types: string[] = message.events.map((e: { type: string }) => e.type);
    expect(types[0]).toBe('queued');
    expect(types.filter((t) => t === 'deferred').length).toBe(r.attempts - 1);
    expect(types.at(-1)).toBe('failed');
    expect(message.events.at(-1).detail).toMatch(/^gave up after \d+ attempts: 452 4\.3\.1 Insufficient system storage/);
  });
});
