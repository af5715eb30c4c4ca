import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendingAccount, freePort, SmtpSink, TestDnsServer, type SendingAccount } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';
import { CredentialService } from '@mailroom/tenancy';
import { SubmissionModule } from '../src/submission/submission.module';

/**
 * What the relay passes through: headers are read the way the strictest receiver would, and
 * what they could read otherwise is refused; what arrives at the recipient's MX is asserted.
 * elsewhere.test is another tenant's verified domain.
 */
describe('SMTP submission relay: the headers it passes through', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let api: TestApi;
  let sender: SendingAccount;
  let smtpsPort: number;
  const login = { user: 'header-app', pass: 'header app password' };

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    sink = await SmtpSink.start({ host: '127.0.0.11' });
    dns.add({ type: 'MX', name: 'customers.test', exchange: 'mx.customers.test', priority: 10 });
    dns.add({ type: 'A', name: 'mx.customers.test', address: '127.0.0.11' });
    smtpsPort = await freePort();
    api = await startTestApi(
      { DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(sink.port), SMTP_SUBMISSION_PORT: String(await freePort()), SMTPS_SUBMISSION_PORT: String(smtpsPort) },
      { worker: true, modules: [SubmissionModule] },
    );
    sender = await createSendingAccount(api, dns, 'legacy.test');
    await createSendingAccount(api, dns, 'elsewhere.test');
    await api.app.get(CredentialService).createSmtpCredential(sender.accountId, { username: login.user, password: login.pass });
  });

  afterAll(async () => {
    await api?.close();
    await sink?.close();
    await dns?.close();
  });

  const send = (raw: string | Buffer, to: string[] = ['ann@customers.test']) =>
    nodemailer
      .createTransport({ host: '127.0.0.1', port: smtpsPort, secure: true, tls: { rejectUnauthorized: false }, auth: login } as SMTPTransport.Options)
      .sendMail({ envelope: { from: 'app@legacy.test', to }, raw })
      .then(
        (info) => ({ code: 250, response: info.response }),
        (error: { responseCode: number; response: string }) => ({ code: error.responseCode, response: error.response }),
      );

  async function arrivedFor(recipient: string) {
    for (let i = 0; i < 150; i++) {
      const found = sink.messages.find((m) => m.to.includes(recipient));
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nothing arrived for ${recipient}`);
  }

  const afterSignatures = (raw: Buffer) => {
    const text = raw.toString('latin1');
    const signatures = text.match(/^(DKIM-Signature:.*\r\n(?:[ \t].*\r\n)*)+/)?.[0] ?? '';
    return raw.subarray(Buffer.byteLength(signatures, 'latin1'));
  };

  it('takes Bcc: and Resent-Bcc: out, however cased or folded, and still delivers to the Bcc recipients', async () => {
    const kept = 'From: app@legacy.test\r\nTo: ann@customers.test\r\nSubject: minutes\r\nMessage-ID: <bcc-1@legacy.test>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n';
    const raw =
      'From: app@legacy.test\r\nBcc: hidden1@customers.test\r\nTo: ann@customers.test\r\nbCC:\r\n hidden2@customers.test,\r\n\thidden3@customers.test\r\n' +
      'Subject: minutes\r\nResent-Bcc: hidden4@customers.test\r\nMessage-ID: <bcc-1@legacy.test>\r\nBcc : hidden5@customers.test\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\nBcc: this line is body\r\n';
    const recipients = ['ann@customers.test', ...[1, 2, 3, 4, 5].map((i) => `hidden${i}@customers.test`)];
    const result = await send(raw, recipients);
    expect(result.code, result.response).toBe(250);
    for (const recipient of recipients) {
      const arrived = await arrivedFor(recipient);
      const header = arrived.raw.toString().split('\r\n\r\n')[0]!;
      expect(header).not.toMatch(/^(resent-)?bcc\s*:/im);
      expect(arrived.raw.toString()).not.toContain('hidden');
      expect(afterSignatures(arrived.raw).toString()).toBe(`${kept}\r\nBcc: this line is body\r\n`);
    }
  });

  it.each([
    ['Sender:', 'From: app@legacy.test\r\nSender: ceo@elsewhere.test\r\n'],
    ['Resent-From:', 'From: app@legacy.test\r\nResent-From: ceo@elsewhere.test\r\n'],
    ['Resent-Sender:', 'From: app@legacy.test\r\nResent-From: app@legacy.test\r\nResent-Sender: Boss <ceo@elsewhere.test>\r\n'],
    ['From: (shown in a display name)', 'From: "ceo@elsewhere.test" <app@legacy.test>\r\n'],
    ['From: (shown in a display name)', 'From: =?utf-8?b?Y2VvQGVsc2V3aGVyZS50ZXN0?= <app@legacy.test>\r\n'],
  ])('refuses %s naming another tenant’s domain with 550 5.7.1', async (header, head) => {
    const result = await send(`${head}To: ann@customers.test\r\nSubject: s\r\n\r\nx\r\n`);
    expect(result.code).toBe(550);
    expect(result.response).toMatch(/^550 5\.7\.1 /);
    expect(result.response).toContain(`${header}: elsewhere.test is not a domain of this account`);
  });

  it.each([
    ['two From: headers', 'From: app@legacy.test\r\nFrom: ceo@elsewhere.test\r\n', 'has 2 From: headers'],
    ['two Sender: headers', 'From: app@legacy.test\r\nSender: app@legacy.test\r\nsender: app@legacy.test\r\n', 'has 2 Sender: headers'],
    ['two From: addresses without a Sender:', 'From: app@legacy.test, other@legacy.test\r\n', 'requires a Sender:'],
    ['<ours> <theirs>', 'From: <app@legacy.test> <ceo@elsewhere.test>\r\n', 'From: has unbalanced or repeated angle brackets'],
    ['ours <theirs>', 'From: app@legacy.test <ceo@elsewhere.test>\r\n', 'From: has an address before its <...> address'],
    ['an unclosed quote', 'From: "Boss <ceo@elsewhere.test>, app@legacy.test\r\n', 'From: has a quote without its closing quote'],
    ['an unclosed angle', 'From: Boss <app@legacy.test\r\n', 'From: has unbalanced or repeated angle brackets'],
    ['a comment hiding an address', 'From: app@legacy.test (ceo@elsewhere.test)\r\n', 'From: has a comment holding address syntax'],
    ['an encoded word holding < and @', 'From: =?utf-8?q?ceo=40elsewhere.test_=3Cx=3E?= <app@legacy.test>\r\n', 'From: has a "<" or ">" in the display name'],
    ['group syntax', 'From: team: app@legacy.test, ceo@elsewhere.test;\r\n', 'From: uses group syntax'],
    ['an ambiguous Reply-To:', 'From: app@legacy.test\r\nReply-To: <help@legacy.test> <x@elsewhere.test>\r\n', 'Reply-To: has unbalanced or repeated angle brackets'],
    ['a stray line in the header', 'From: app@legacy.test\r\nnot a header line\r\n', 'is not a header field'],
  ])('refuses %s with 550 5.6.0 and says why', async (_what, head, why) => {
    const result = await send(`${head}To: ann@customers.test\r\nSubject: s\r\n\r\nx\r\n`);
    expect(result.response).toMatch(/^550 5\.[67]\.[01] /);
    expect(result.response).toContain(why);
  });

  it.each([
    ['a NUL in Subject:', Buffer.from('From: app@legacy.test\r\nTo: ann@customers.test\r\nSubject: pay\0 now\r\n\r\nx\r\n'), 'Subject: contains a NUL'],
    ['a control character in a header', Buffer.from('From: app@legacy.test\r\nTo: ann@customers.test\r\nX-Note: a\x01b\r\nSubject: s\r\n\r\nx\r\n'), 'X-Note: contains a control character 0x01'],
    ['a NUL in a folded From:', Buffer.from('From: ceo@elsewhere.test\0\r\n <app@legacy.test>\r\nTo: ann@customers.test\r\n\r\nx\r\n'), 'From: contains a NUL'],
    ['a NUL in the body', Buffer.from('From: app@legacy.test\r\nTo: ann@customers.test\r\nSubject: s\r\n\r\nx\0y\r\n'), 'contains a NUL byte'],
  ])('refuses %s with 554 5.6.0', async (_what, raw, why) => {
    const result = await send(raw);
    expect(result.response).toMatch(/^554 5\.6\.0 /);
    expect(result.response).toContain(why);
  });

  it('holds the API’s custom headers to the same rules: no Resent-* fields, no control characters', async () => {
    const post = (headers: Record<string, string>) =>
      api.request('POST', '/v1/messages', { key: sender.key, body: { from: 'app@legacy.test', to: 'ann@customers.test', subject: 's', text: 't', headers } });
    for (const name of ['Resent-From', 'resent-sender', 'Resent-Bcc', 'Sender', 'Bcc']) {
      const refused = await post({ [name]: 'ceo@elsewhere.test' });
      expect(refused.status, name).toBe(422);
      expect(refused.body.error.code, name).toBe('reserved_header');
    }
    // (A NUL anywhere in a request body is refused before this, with 400 invalid_request.)
    for (const value of ['a\x01b', 'a\x1bb', 'a\x7fb']) {
      const refused = await post({ 'X-Note': value });
      expect(refused.status).toBe(422);
      expect(refused.body.error).toMatchObject({ code: 'header_injection', message: expect.stringContaining('header fields may hold no control characters but TAB') });
    }
    expect((await post({ 'X-Note': 'tab\tis fine' })).status).toBe(202);
    // A display name showing another tenant's address is refused there too.
    for (const from of ['"ceo@elsewhere.test" <app@legacy.test>', '<app@legacy.test> <ceo@elsewhere.test>']) {
      const refused = await api.request('POST', '/v1/messages', { key: sender.key, body: { from, to: 'ann@customers.test', subject: 's', text: 't' } });
      expect(refused.status, from).toBe(422);
      expect(refused.body.error, from).toMatchObject({ code: 'unknown_sender_domain', message: expect.stringContaining('elsewhere.test is not a domain of this account') });
    }
  });

  it('relays what every reader reads alike: Sender: and Resent-* on own domains, Reply-To: elsewhere, TAB and UTF-8 in headers', async () => {
    const raw = Buffer.from(
      'From: "App (billing)" <app@legacy.test>, Second <second@legacy.test>\r\nSender: app@legacy.test\r\nReply-To: Help Desk <help@elsewhere.test>\r\n' +
        'Resent-From: app@legacy.test\r\nTo: ann@customers.test\r\nSubject: Grüße\tund mehr\r\nX-Folded: a\r\n\tb\r\n\r\nx\r\n',
    );
    const result = await send(raw, ['zoe@customers.test']);
    expect(result.code, result.response).toBe(250);
    const arrived = await arrivedFor('zoe@customers.test');
    expect(afterSignatures(arrived.raw).toString('utf8')).toMatch(/^Message-ID: <[^>]+>\r\nDate: [^\r]+\r\nFrom: "App \(billing\)" <app@legacy\.test>, Second <second@legacy\.test>\r\n/);
    expect(arrived.raw.includes(raw)).toBe(true);
  });
});
