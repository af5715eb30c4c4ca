import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendingAccount, freePort, SmtpSink, TestDnsServer, type SendingAccount } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';
import { InboundModule } from '../src/inbound/inbound.module';
import { InboundServer } from '../src/inbound/inbound-server';
import { sendOnce } from './inbound-harness';

/**
 * The round trip over real sockets: a message sent through the API is delivered by the worker
 * (with its VERP envelope sender) to a remote MX on loopback; that MX's later DSN comes back to
 * the inbound MX at that very envelope sender; the API then shows the bounce and the
 * suppression, and the next message to the address is not attempted.
 */
describe('inbound MX end to end: API -> worker -> remote MX -> DSN -> inbound MX -> API', () => {
  let dns: TestDnsServer;
  let api: TestApi;
  let sink: SmtpSink;
  let sender: SendingAccount;
  let inboundPort: number;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    const port = await freePort();
    sink = await SmtpSink.start({ host: '127.0.0.2', port });
    dns.add({ type: 'MX', name: 'remote.test', exchange: 'mx.remote.test', priority: 10 });
    dns.add({ type: 'A', name: 'mx.remote.test', address: '127.0.0.2' });
    api = await startTestApi(
      { DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(port), SMTP_INBOUND_PORT: String(await freePort()) },
      { worker: true, modules: [InboundModule] },
    );
    inboundPort = api.app.get(InboundServer).port;
    sender = await createSendingAccount(api, dns, 'shop.test');
  });

  afterAll(async () => {
    await api?.close();
    await sink?.close();
    await dns?.close();
  });

  async function settled(id: string): Promise<any> {
    for (let i = 0; i < 150; i++) {
      const res = await api.request('GET', `/v1/messages/${id}`, { key: sender.key });
      if (res.status === 200 && res.body.recipients.every((r: any) => !['queued', 'sending', 'deferred'].includes(r.status))) return res.body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`message ${id} did not settle`);
  }

  it('a later DSN to the envelope sender the worker used bounces and suppresses exactly that recipient', async () => {
    const sent = await api.request('POST', '/v1/messages', {
      key: sender.key,
      body: { from: 'Shop <orders@shop.test>', to: ['gone@remote.test', 'fine@remote.test'], subject: 'Your order', text: 'Thanks!' },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const delivered = await settled(sent.body.id);
    expect(delivered.recipients.map((r: any) => r.status)).toEqual(['delivered', 'delivered']);

    // What the remote MX saw: one transaction, our VERP address as MAIL FROM.
    const received = sink.messages.find((m) => m.to.includes('gone@remote.test'))!;
    expect(received.from).toMatch(new RegExp(`^bnc-(?:[rm][0-9a-f]{32}|d[0-9a-f]{40})-[0-9a-f]{16}@${sender.returnPathDomain.replace(/\./g, '\\.')}$`));

    const dsn = [
      'From: MAILER-DAEMON@mx.remote.test (Mail Delivery System)',
      `To: ${received.from}`,
      'Subject: Undelivered Mail Returned to Sender',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
      '',
      '--R',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.remote.test',
      '',
      'Final-Recipient: rfc822; gone@remote.test',
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 <gone@remote.test>: Recipient address rejected: User unknown in local recipient table',
      '',
      '--R--',
      '',
    ].join('\r\n');
    const result = await sendOnce(inboundPort, '', [received.from], dsn);
    expect(result.rcpt[0]).toMatch(/^250 /);
    expect(result.data).toMatch(/^250 2\.0\.0 /);

    const after = (await api.request('GET', `/v1/messages/${sent.body.id}`, { key: sender.key })).body;
    const gone = after.recipients.find((r: any) => r.email === 'gone@remote.test');
    const fine = after.recipients.find((r: any) => r.email === 'fine@remote.test');
    expect(gone).toMatchObject({ status: 'bounced', bounce_type: 'hard' });
    expect(fine.status).toBe('delivered');
    expect(after.events.map((e: any) => e.type)).toContain('bounced');
    const suppression = await api.request('GET', '/v1/suppressions/gone@remote.test', { key: sender.key });
    expect(suppression.status).toBe(200);
    expect(JSON.stringify(suppression.body)).toContain('hard_bounce');

    // The next message to that address is never attempted.
    const next = await api.request('POST', '/v1/messages', { key: sender.key, body: { from: 'orders@shop.test', to: ['gone@remote.test'], subject: 'Again', text: 'x' } });
    expect((await settled(next.body.id)).recipients[0].status).toBe('suppressed');
  });
});
