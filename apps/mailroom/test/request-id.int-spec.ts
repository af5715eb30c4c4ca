import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialService } from '@mailroom/tenancy';
import { allDelivered, BuiltProcesses, createSendingAccount, freePort, SmtpSink, TestDnsServer, workerEnvFor, type BuiltProcess, type SendingAccount } from '@mailroom/testing';
import { SubmissionModule } from '../../smtp/src/submission/submission.module';
import { startTestApi, type TestApi } from './support/test-api';

const WORKER = 'dist/apps/worker/src/main.js';

/**
 * One id follows a message from the call that sent it to the receiving server's reply: the
 * API caller's x-request-id (or the relay session's id) is kept on the message, and the worker (a
 * real process) logs the delivery under it.
 */
describe('request id', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let sender: SendingAccount;
  let pg: Client;
  let worker: BuiltProcess;
  let submissionPort: number;
  const login = { user: 'traced-app', pass: 'correct horse battery staple' };
  const workers = new BuiltProcesses();

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    sink = await SmtpSink.start({ host: '127.0.0.11' });
    dns.add({ type: 'MX', name: 'traced.test', exchange: 'mx.traced.test', priority: 10 });
    dns.add({ type: 'A', name: 'mx.traced.test', address: '127.0.0.11' });
    submissionPort = await freePort();
    const env = { DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(sink.port) };
    // No worker in this process: its log is the child's output.
    api = await startTestApi({ ...env, SMTP_SUBMISSION_PORT: String(submissionPort), SMTPS_SUBMISSION_PORT: String(await freePort()) }, { modules: [SubmissionModule] });
    sender = await createSendingAccount(api, dns, 'origin.test');
    await api.app.get(CredentialService).createSmtpCredential(sender.accountId, { username: login.user, password: login.pass });
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

  async function storedRequestId(messageId: string): Promise<string | null> {
    const { rows } = await pg.query<{ request_id: string | null }>('SELECT request_id FROM messages WHERE id = $1', [messageId]);
    return rows[0]!.request_id;
  }

  /** The worker's log line about delivering `messageId`, once it has been delivered. */
  async function deliveryLine(messageId: string): Promise<Record<string, unknown> | undefined> {
    await allDelivered(pg, [messageId], 60_000, workers);
    return worker
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === 'delivery attempted' && line.messageId === messageId);
  }

  it('is the API caller’s x-request-id, kept on the message, and names the worker’s log line about its delivery', async () => {
    const requestId = `trace-${randomBytes(6).toString('hex')}`;
    const res = await api.request('POST', '/v1/messages', {
      key: sender.key,
      headers: { 'x-request-id': requestId },
      body: { from: 'app@origin.test', to: 'ann@traced.test', subject: 'traced', text: 'x' },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    expect(await storedRequestId(res.body.id)).toBe(requestId);
    expect(await deliveryLine(res.body.id)).toMatchObject({ reqId: requestId, domain: 'traced.test', replies: [expect.stringMatching(/^250/)] });
  });

  it('is the relay session’s id for a message submitted over SMTP', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: submissionPort, requireTLS: true, tls: { rejectUnauthorized: false }, auth: login } as SMTPTransport.Options);
    const sent = await Promise.all(
      ['one', 'two'].map((subject) => transport.sendMail({ from: 'app@origin.test', to: 'bob@traced.test', subject, text: 'x' })),
    );
    transport.close();
    const ids = sent.map((info) => /queued as (\S+)/.exec(info.response)![1]!);
    const requestIds = await Promise.all(ids.map(storedRequestId));
    // Each session has its own id, made by the relay.
    expect(requestIds.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(requestIds).size).toBe(2);
    for (const [i, id] of ids.entries()) expect(await deliveryLine(id)).toMatchObject({ reqId: requestIds[i], domain: 'traced.test' });
  });
});
