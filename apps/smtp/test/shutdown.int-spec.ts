import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialService } from '@mailroom/tenancy';
import {
  CLOSED_RESOURCE_ERRORS,
  createSendingAccount,
  freePort,
  signalAndWait,
  spawnBuilt,
  waitForOutput,
  type SendingAccount,
  type TestDnsServer,
} from '@mailroom/testing';
import { startApiWithDns, type ApiWithDns, type TestApi } from '../../mailroom/test/support/test-api';

const SMTP = 'dist/apps/smtp/src/main.js';

/**
 * The smtp app (a real process) gets SIGTERM while a client is in the middle of a relay
 * transaction: it stops accepting connections, the transaction finishes with 250 and is stored,
 * and only then does the process close its connections and exit.
 */
describe('smtp app on SIGTERM', () => {
  let dns: TestDnsServer;
  let api: TestApi;
  let sender: SendingAccount;
  let pg: Client;
  let setup: ApiWithDns;
  const login = { user: 'drain-app', pass: 'a long enough relay password' };

  beforeAll(async () => {
    ({ api, dns, pg } = setup = await startApiWithDns());
    sender = await createSendingAccount(api, dns, 'drain.test');
    await api.app.get(CredentialService).createSmtpCredential(sender.accountId, { username: login.user, password: login.pass });
  });

  afterAll(async () => {
    await setup?.close();
  });

  it('finishes and stores the transaction in flight, refuses new connections, then exits cleanly', async () => {
    const port = await freePort();
    const smtp = spawnBuilt(SMTP, {
      DATABASE_URL: api.db.url,
      REDIS_PREFIX: api.config.REDIS_PREFIX,
      MAIL_HOSTNAME: 'mx.mailroom.test',
      SMTP_INBOUND_PORT: String(await freePort()),
      SMTP_SUBMISSION_PORT: String(port),
      SMTPS_SUBMISSION_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    });
    try {
      await waitForOutput(smtp, 'smtp ready');
      const client = new SMTPConnection({ host: '127.0.0.1', port, requireTLS: true, tls: { rejectUnauthorized: false } });
      await new Promise<void>((resolve, reject) => {
        client.once('error', reject);
        client.connect(() => resolve());
      });
      await new Promise<void>((resolve, reject) => client.login(login, (error) => (error ? reject(error) : resolve())));
      const body = new PassThrough();
      const sent = new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) =>
        client.send({ from: 'billing@drain.test', to: ['ann@customers.test'] }, body, (error, info) => (error ? reject(error) : resolve(info))),
      );
      body.write('From: billing@drain.test\r\nTo: ann@customers.test\r\nSubject: in flight at SIGTERM\r\n\r\nfirst half, ');
      await new Promise((r) => setTimeout(r, 500));

      const exited = signalAndWait(smtp, 'SIGTERM');
      await waitForOutput(smtp, 'shutting down');
      // The listener is closed: a new client is refused.
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(false)));
        socket.once('error', () => resolve(true));
      });
      expect(refused).toBe(true);

      body.end('second half.\r\n');
      const info = await sent;
      expect(info.response).toMatch(/^250 2\.0\.0 queued as [0-9a-f-]{36}/);
      client.quit();
      const { code } = await exited;
      expect(code, smtp.output().slice(-3000)).toBe(0);
      for (const text of CLOSED_RESOURCE_ERRORS) expect(smtp.output(), text).not.toContain(text);

      const id = /queued as ([0-9a-f-]{36})/.exec(info.response)![1];
      const { rows } = await pg.query<{ subject: string; status: string }>(
        'SELECT m.subject, r.status FROM messages m JOIN recipients r ON r.message_id = m.id WHERE m.id = $1',
        [id],
      );
      expect(rows).toEqual([{ subject: 'in flight at SIGTERM', status: 'queued' }]);
    } finally {
      await signalAndWait(smtp, 'SIGKILL');
    }
  }, 60_000);
});
