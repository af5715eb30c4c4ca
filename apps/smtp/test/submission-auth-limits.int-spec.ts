import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendingAccount, freePort, TestDnsServer, type SendingAccount } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';
import { CredentialService } from '@mailroom/tenancy';
import { SubmissionModule } from '../src/submission/submission.module';

/**
 * Failed AUTH is counted per (user, client address): 127.0.0.x are all loopback on Linux, so each
 * is a client address of its own (the client socket is bound to it).
 */
describe('SMTP relay: failed AUTH limits cannot lock a user out from elsewhere', () => {
  let dns: TestDnsServer;
  let api: TestApi;
  let account: SendingAccount;
  let smtpsPort: number;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    smtpsPort = await freePort();
    api = await startTestApi({ DNS_SERVERS: dns.address, SMTP_SUBMISSION_PORT: String(await freePort()), SMTPS_SUBMISSION_PORT: String(smtpsPort) }, { modules: [SubmissionModule] });
    account = await createSendingAccount(api, dns, 'owner.test');
  });

  afterAll(async () => {
    await api?.close();
    await dns?.close();
  });

  /** AUTH over implicit TLS from `from`: 235 resolves true, a refusal rejects with its code. */
  const authenticate = (from: string, user: string, pass: string) =>
    nodemailer
      .createTransport({ host: '127.0.0.1', port: smtpsPort, secure: true, tls: { rejectUnauthorized: false }, localAddress: from, auth: { user, pass } } as SMTPTransport.Options)
      .verify()
      .then(
        () => 235,
        (error: { responseCode?: number; response?: string }) => ({ code: error.responseCode, response: error.response }),
      );

  it('lets the owner in from their own address after 100 wrong passwords from other addresses, and refuses each guessing address', async () => {
    const user = 'owner-app';
    const password = 'the owner knows this one';
    await api.app.get(CredentialService).createSmtpCredential(account.accountId, { username: user, password });
    expect(await authenticate('127.0.0.3', user, password)).toBe(235);

    // 100 wrong passwords: nine (the per-address limit) from each of eleven addresses, one more
    // from a twelfth. That is also the user's ceiling: from here on, only addresses the user
    // logged in from may try this user name (README: Failed logins).
    const attackers = Array.from({ length: 12 }, (_, i) => `127.0.0.${20 + i}`);
    const results = await Promise.all(
      attackers.map(async (from, n) => {
        const codes: unknown[] = [];
        for (let i = 0; i < (n < 11 ? 9 : 1); i++) codes.push(((await authenticate(from, user, `guess ${i}`)) as { code: number }).code);
        // The next try from an address that failed nine times is refused unchecked, even with the right password.
        const next = n < 11 ? await authenticate(from, user, password) : null;
        return { codes, next };
      }),
    );
    expect(results.flatMap((r) => r.codes)).toEqual(Array(100).fill(535));
    for (const { next } of results.slice(0, 11)) expect(next).toMatchObject({ code: 454, response: expect.stringContaining('Too many failed authentication attempts') });

    expect(await authenticate('127.0.0.3', user, password)).toBe(235);
    // A guessing address's refusal is for that user: another user may log in from there.
    await api.app.get(CredentialService).createSmtpCredential(account.accountId, { username: 'neighbour-app', password: 'neighbour password here' });
    expect(await authenticate(attackers[0]!, 'neighbour-app', 'neighbour password here')).toBe(235);
  });

  it('refuses an address that sprays wrong passwords over many user names (30 a minute)', async () => {
    await api.app.get(CredentialService).createSmtpCredential(account.accountId, { username: 'sprayed-app', password: 'sprayed app password' });
    const from = '127.0.0.60';
    const codes: unknown[] = [];
    for (let i = 0; i < 30; i++) codes.push(((await authenticate(from, `nobody-${i}`, 'guess')) as { code: number }).code);
    expect(codes).toEqual(Array(30).fill(535));
    expect(await authenticate(from, 'sprayed-app', 'sprayed app password')).toMatchObject({ code: 454 });
    expect(await authenticate('127.0.0.61', 'sprayed-app', 'sprayed app password')).toBe(235);
  });
});
