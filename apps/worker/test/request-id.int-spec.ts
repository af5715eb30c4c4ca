import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allDelivered, BuiltProcesses, createSendingAccount, SmtpSink, TestDnsServer, workerEnvFor, type BuiltProcess, type SendingAccount } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

const WORKER = 'dist/apps/worker/src/main.js';

/**
 * One id follows a message from the API call that sent it to the receiving server's reply: the
 * caller's x-request-id is kept on the message, and the worker (a real process) logs the
 * delivery under it.
 */
describe('request id', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let sender: SendingAccount;
  let pg: Client;
  let worker: BuiltProcess;
  const workers = new BuiltProcesses();

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    sink = await SmtpSink.start({ host: '127.0.0.11' });
    dns.add({ type: 'MX', name: 'traced.test', exchange: 'mx.traced.test', priority: 10 });
    dns.add({ type: 'A', name: 'mx.traced.test', address: '127.0.0.11' });
    const env = { DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(sink.port) };
    api = await startTestApi(env); // no worker in this process: its log is the child's output
    sender = await createSendingAccount(api, dns, 'origin.test');
    pg = new Client({ connectionString: api.db.url });
    await pg.connect();
    worker = await workers.start(WORKER, await workerEnvFor(api, { ...env, LOG_LEVEL: 'debug', LOG_FORMAT: 'json' }), 'delivery worker started');
  });

  afterAll(async () => {
    await workers.killAll();
    await pg?.end();
    await api?.close();
    await sink?.close();
    await dns?.close();
  });

  it('is kept on the message and names the worker’s log lines about its delivery', async () => {
    const requestId = `trace-${randomBytes(6).toString('hex')}`;
    const res = await api.request('POST', '/v1/messages', {
      key: sender.key,
      headers: { 'x-request-id': requestId },
      body: { from: 'app@origin.test', to: 'ann@traced.test', subject: 'traced', text: 'x' },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const { rows } = await pg.query('SELECT request_id FROM messages WHERE id = $1', [res.body.id]);
    expect(rows).toEqual([{ request_id: requestId }]);

    await allDelivered(pg, [res.body.id], 60_000, workers);
    const delivery = worker
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === 'delivery attempted' && line.messageId === res.body.id);
    expect(delivery).toMatchObject({ reqId: requestId, domain: 'traced.test', replies: [expect.stringMatching(/^250/)] });
  });
});
