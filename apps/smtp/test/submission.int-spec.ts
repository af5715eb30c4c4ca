import { connect as tcpConnect } from 'node:net';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendingAccount, freePort, startDestination, type SendingAccount, type SmtpSink, type TestDnsServer } from '@mailroom/testing';
import { startApiDeliveringTo, type ApiWithDns, type TestApi } from '../../mailroom/test/support/test-api';
import { CredentialService } from '@mailroom/tenancy';
import { SubmissionModule } from '../src/submission/submission.module';

/** The relay as a legacy application sees it: nodemailer over STARTTLS and implicit TLS. */
describe('SMTP submission relay', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let sender: SendingAccount;
  let other: SendingAccount;
  let pg: Client;
  let submissionPort: number;
  let smtpsPort: number;
  const login = { user: 'legacy-app', pass: 'correct horse battery staple' };
  let setup: ApiWithDns;

  beforeAll(async () => {
    const destination = await startDestination('customers.test', '127.0.0.10');
    sink = destination.sink;
    submissionPort = await freePort();
    smtpsPort = await freePort();
    ({ api, dns, pg } = setup = await startApiDeliveringTo(
      destination,
      {
        SMTP_SUBMISSION_PORT: String(submissionPort),
        SMTPS_SUBMISSION_PORT: String(smtpsPort),
        MAX_MESSAGE_SIZE: String(8 * 1024 * 1024),
      },
      { worker: true, modules: [SubmissionModule] },
    ));
    sender = await createSendingAccount(api, dns, 'legacy.test');
    other = await createSendingAccount(api, dns, 'elsewhere.test');
    await api.app.get(CredentialService).createSmtpCredential(sender.accountId, { username: login.user, password: login.pass });
    await api.app.get(CredentialService).createSmtpCredential(other.accountId, { username: 'other-app', password: 'another long password' });
  });

  afterAll(async () => {
    await setup?.close();
  });

  const transport = (port: number, options: Record<string, unknown> = {}) =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: port === smtpsPort,
      requireTLS: port === submissionPort,
      tls: { rejectUnauthorized: false },
      auth: login,
      ...options,
    } as SMTPTransport.Options);

  async function recipientStatus(messageId: string, email: string, until: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const { rows } = await pg.query<{ status: string }>('SELECT status FROM recipients WHERE message_id = $1 AND email = $2', [messageId, email]);
      if (rows[0]?.status === until) return until;
      await new Promise((r) => setTimeout(r, 100));
    }
    const { rows } = await pg.query<{ status: string }>('SELECT status FROM recipients WHERE message_id = $1 AND email = $2', [messageId, email]);
    return rows[0]?.status ?? 'missing';
  }

  const queuedId = (response: string) => /^250 2\.0\.0 queued as ([0-9a-f-]{36})$/.exec(response)?.[1];

  it('relays over STARTTLS on the submission port: BCC recipients get it, no header names them, the body arrives byte for byte, DKIM-signed', async () => {
    const raw = await new MailComposer({
      from: 'Legacy App <app@legacy.test>',
      to: 'ann@customers.test',
      cc: 'carl@customers.test',
      subject: 'Invoice 42',
      messageId: '<invoice-42@legacy.test>',
      date: new Date('2026-11-20T10:00:00Z'),
      text: 'Please find attached.\r\n',
      attachments: [{ filename: 'invoice.txt', content: 'x'.repeat(5000) }],
    })
      .compile()
      .build();
    const info = await transport(submissionPort).sendMail({
      envelope: { from: 'app@legacy.test', to: ['ann@customers.test', 'carl@customers.test', 'hidden@customers.test'] },
      raw,
    });
    const id = queuedId(info.response);
    expect(id, info.response).toBeDefined();
    expect(await recipientStatus(id!, 'hidden@customers.test', 'delivered')).toBe('delivered');
    await sink.waitFor(1);
    const arrived = sink.messages.find((m) => m.to.includes('hidden@customers.test'))!;
    expect(arrived.to.sort()).toEqual(['ann@customers.test', 'carl@customers.test', 'hidden@customers.test']);
    const text = arrived.raw.toString();
    expect(text).not.toContain('hidden@customers.test');
    expect(text).not.toMatch(/^Bcc:/im);
    // Exactly what the client sent, behind the signatures Mailroom put in front.
    const signatures = text.match(/^(DKIM-Signature:.*\r\n(?:[ \t].*\r\n)*)+/)![0];
    expect(signatures.match(/^DKIM-Signature:/gm)).toHaveLength(2);
    expect(signatures).toContain('d=legacy.test');
    expect(arrived.raw.subarray(Buffer.byteLength(signatures)).equals(raw)).toBe(true);
    const { rows } = await pg.query('SELECT source, message_id_header, subject FROM messages WHERE id = $1', [id]);
    expect(rows[0]).toEqual({ source: 'smtp', message_id_header: 'invoice-42@legacy.test', subject: 'Invoice 42' });
    const kinds = await pg.query<{ email: string; kind: string }>('SELECT email, kind FROM recipients WHERE message_id = $1 ORDER BY email', [id]);
    expect(kinds.rows).toEqual([
      { email: 'ann@customers.test', kind: 'to' },
      { email: 'carl@customers.test', kind: 'to' },
      { email: 'hidden@customers.test', kind: 'bcc' },
    ]);
  });

  it('relays over implicit TLS, adding Date and Message-ID only when missing', async () => {
    const raw = Buffer.from('From: app@legacy.test\r\nTo: dora@customers.test\r\nSubject: bare\r\n\r\nhello\r\n');
    const info = await transport(smtpsPort).sendMail({ envelope: { from: 'app@legacy.test', to: ['dora@customers.test'] }, raw });
    const id = queuedId(info.response)!;
    const { rows } = await pg.query<{ raw: Buffer }>('SELECT raw FROM messages WHERE id = $1', [id]);
    const stored = rows[0]!.raw.toString();
    expect(stored).toMatch(/^Message-ID: <[^>]+@mx\.mailroom\.test>\r\nDate: .+\r\nFrom: app@legacy\.test\r\n/);
    expect(stored.endsWith('\r\n\r\nhello\r\n')).toBe(true);
  });

  it('does not offer or accept AUTH before STARTTLS, and refuses mail without AUTH (530)', async () => {
    const plain = await rawSession(submissionPort, ['EHLO client.test', 'AUTH PLAIN ' + Buffer.from(`\0${login.user}\0${login.pass}`).toString('base64'), 'MAIL FROM:<app@legacy.test>', 'QUIT']);
    const ehlo = plain[1]!;
    expect(ehlo).toContain('STARTTLS');
    expect(ehlo).not.toMatch(/AUTH/);
    expect(plain[2]).toMatch(/^538 /);
    expect(plain[3]).toMatch(/^530 5\.7\.0 /);
    await expect(transport(submissionPort, { auth: undefined }).sendMail({ from: 'app@legacy.test', to: 'x@customers.test', text: 'x' })).rejects.toMatchObject({ responseCode: 530 });
  });

  it('refuses a wrong password with 535', async () => {
    await expect(transport(smtpsPort, { auth: { user: login.user, pass: 'wrong' } }).sendMail({ from: 'app@legacy.test', to: 'x@customers.test', text: 'x' })).rejects.toMatchObject({
      responseCode: 535,
    });
  });

  it('refuses a sender or From: outside the account with a clear text', async () => {
    const foreignEnvelope = transport(smtpsPort).sendMail({ envelope: { from: 'app@elsewhere.test', to: ['x@customers.test'] }, raw: 'From: app@legacy.test\r\n\r\nx\r\n' });
    await expect(foreignEnvelope).rejects.toMatchObject({ responseCode: 553, response: expect.stringContaining('elsewhere.test is not a domain of this account') });
    const foreignHeader = transport(smtpsPort).sendMail({ envelope: { from: 'app@legacy.test', to: ['x@customers.test'] }, raw: 'From: ceo@bank.test\r\nSubject: wire\r\n\r\nx\r\n' });
    await expect(foreignHeader).rejects.toMatchObject({ responseCode: 550, response: expect.stringContaining('bank.test is not a domain of this account') });
  });

  it('reads headers as receivers will: a From: hidden behind a bare CR is found and refused', async () => {
    const smuggled = 'X-A: b\rFrom: ceo@bank.test\r\r\nFrom: app@legacy.test\r\nSubject: s\r\n\r\nx\r\n';
    const attempt = transport(smtpsPort).sendMail({ envelope: { from: 'app@legacy.test', to: ['x@customers.test'] }, raw: smuggled });
    await expect(attempt).rejects.toMatchObject({ responseCode: 550, response: expect.stringContaining('bank.test') });
  });

  it('refuses the tenth attempt in a minute without checking it, even with the right password', async () => {
    const user = 'guess-target';
    await api.app.get(CredentialService).createSmtpCredential(sender.accountId, { username: user, password: 'the real password' });
    const codes: number[] = [];
    for (let i = 0; i < 9; i++) {
      const error = await transport(smtpsPort, { auth: { user, pass: `guess ${i}` } }).verify().catch((e: { responseCode: number }) => e);
      codes.push((error as { responseCode: number }).responseCode);
    }
    expect(codes).toEqual(Array(9).fill(535));
    const tenth = await transport(smtpsPort, { auth: { user, pass: 'the real password' } }).verify().catch((e: { responseCode: number; response: string }) => e);
    expect(tenth).toMatchObject({ responseCode: 454, response: expect.stringContaining('Too many failed authentication attempts') });
  });

  it('takes many concurrent clients, pipelined transactions and large messages', async () => {
    const pool = transport(submissionPort, { pool: true, maxConnections: 8, maxMessages: 100 });
    const big = 'y'.repeat(76) + '\r\n';
    const sends = Array.from({ length: 40 }, (_, i) =>
      pool.sendMail({ from: 'app@legacy.test', to: `bulk${i}@customers.test`, subject: `bulk ${i}`, text: i === 0 ? big.repeat(60_000) : `message ${i}` }),
    );
    const results = await Promise.all(sends);
    pool.close();
    expect(results.every((r) => queuedId(r.response))).toBe(true);
    const { rows } = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE source = 'smtp' AND subject LIKE 'bulk %'`);
    expect(rows[0]!.n).toBe(40);
    const tooBig = transport(smtpsPort).sendMail({ from: 'app@legacy.test', to: 'x@customers.test', text: big.repeat(120_000) });
    await expect(tooBig).rejects.toMatchObject({ responseCode: 552 });
  });

  it('applies the account’s hourly sending limit to the relay and the API alike', async () => {
    const limited = await api.request('PATCH', `/v1/accounts/${other.accountId}`, { key: api.adminKey, body: { send_limit_per_hour: 1 } });
    expect(limited.body).toMatchObject({ id: other.accountId, send_limit_per_hour: 1 });
    // The limit is read at most 30 s late; this account has not sent yet, so it is read now.
    const relay = (to: string) =>
      transport(smtpsPort, { auth: { user: 'other-app', pass: 'another long password' } }).sendMail({ from: 'x@elsewhere.test', to, text: 'x' });
    await relay('first@customers.test');
    await expect(relay('second@customers.test')).rejects.toMatchObject({ responseCode: 451, response: expect.stringContaining('1 messages per hour') });
    const viaApi = await api.request('POST', '/v1/messages', { key: other.key, body: { from: 'x@elsewhere.test', to: 'third@customers.test', subject: 's', text: 't' } });
    expect(viaApi.status).toBe(429);
    expect(viaApi.body.error.code).toBe('send_limit_exceeded');
  });
});

/** Writes commands one at a time and collects each reply (the greeting first). */
function rawSession(port: number, commands: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    const replies: string[] = [];
    let buffer = '';
    let next = 0;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      // A reply is complete when its last line has a space after the code.
      while (/^\d{3} .*\r\n/m.test(buffer)) {
        const end = buffer.search(/^\d{3} .*\r\n/m);
        const lineEnd = buffer.indexOf('\r\n', end) + 2;
        replies.push(buffer.slice(0, lineEnd).trim());
        buffer = buffer.slice(lineEnd);
        if (next < commands.length) socket.write(`${commands[next++]}\r\n`);
        else socket.end();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(replies));
  });
}
