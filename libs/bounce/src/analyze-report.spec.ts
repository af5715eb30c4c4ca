import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeInboundMessage, type AnalyzedMessage } from './analyze-report';
import { detectAutoReply } from './auto-reply';
import { parseMime, partText } from './mime';
import { detectPlainBounce } from './plain-bounce';

const SAMPLES = join(__dirname, '../test/samples');
const VERP = 'bnc-r0f1e2d3c4b5a69788796a5b4c3d2e1f0-0123456789abcdef@mr-bounces.example.com';

function analyze(name: string, sender = ''): AnalyzedMessage {
  // Samples are stored with LF endings; mail arrives with CRLF, so test that form.
  return analyzeInboundMessage(Buffer.from(readFileSync(join(SAMPLES, name), 'utf8').replace(/\r?\n/g, '\r\n')), { sender });
}

/** `outcome[/bounceType]:category` of a classification, as the reply-table tests write it. */
const verdict = (c?: { outcome: string; bounceType?: string; category: string }) =>
  c ? `${c.outcome}${c.bounceType ? `/${c.bounceType}` : ''}:${c.category}` : 'none';

describe('delivery status notifications (RFC 3464)', () => {
  it('Postfix "user unknown": a hard bounce, with the returned message and its VERP Return-Path', () => {
    const result = analyze('postfix-user-unknown.eml');
    expect(result.report.kind).toBe('dsn');
    if (result.report.kind !== 'dsn') return;
    expect(result.report.dsn.reportingMta).toBe('mx1.example.net');
    expect(result.report.dsn.recipients).toHaveLength(1);
    const [r] = result.report.dsn.recipients;
    expect(r).toMatchObject({ finalRecipient: 'nobody@example.net', originalRecipient: 'nobody@example.net', action: 'failed', status: '5.1.1', code: 550, remoteMta: 'mail.example.net' });
    expect(r.diagnostic).toBe('550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table');
    expect(verdict(r.classification)).toBe('bounced/hard:mailbox_unknown');
    expect(result.original).toEqual({ messageId: '20261123115959.abc123@example.com', returnPath: VERP, subject: 'Your receipt' });
    expect(result.tokenCandidates).toEqual([VERP]);
  });

  it('Gmail: multi-line diagnostic, a delivered recipient beside the failed one, text/rfc822-headers', () => {
    const result = analyze('gmail-user-unknown.eml');
    if (result.report.kind !== 'dsn') throw new Error(result.report.kind);
    const [failed, delivered] = result.report.dsn.recipients;
    expect(failed.finalRecipient).toBe('ghost.user.4711@gmail.com');
    expect(verdict(failed.classification)).toBe('bounced/hard:mailbox_unknown');
    expect(failed.remoteMta).toContain('gmail-smtp-in.l.google.com');
    expect(delivered).toMatchObject({ finalRecipient: 'friend@gmail.com', action: 'delivered' });
    expect(delivered.classification).toBeUndefined();
    expect(result.original?.messageId).toBe('20261123.x1@example.com');
  });

  it('Exchange Online block-list rejection: blocked, never a hard bounce', () => {
    const result = analyze('exchange-online-blocked.eml');
    if (result.report.kind !== 'dsn') throw new Error(result.report.kind);
    expect(verdict(result.report.dsn.recipients[0].classification)).toBe('blocked:reputation');
    expect(result.subject).toBe('Undeliverable: Your receipt');
  });

  it('mailbox full is a soft bounce', () => {
    const result = analyze('mailbox-full.eml');
    if (result.report.kind !== 'dsn') throw new Error(result.report.kind);
    expect(verdict(result.report.dsn.recipients[0].classification)).toBe('bounced/soft:mailbox_full');
  });

  it('a delay notice (Action: delayed) is only deferred', () => {
    const result = analyze('delayed.eml');
    if (result.report.kind !== 'dsn') throw new Error(result.report.kind);
    expect(result.report.dsn.recipients[0].action).toBe('delayed');
    expect(result.report.dsn.recipients[0].classification?.outcome).toBe('deferred');
  });

  it('a failure after retries ran out (failed with 4.x.x) is soft, not hard', () => {
    const result = analyze('expired.eml');
    if (result.report.kind !== 'dsn') throw new Error(result.report.kind);
    expect(verdict(result.report.dsn.recipients[0].classification)).toBe('bounced/soft:connection');
  });

  it('a rejection of our envelope sender (in reply to MAIL FROM) is blocked, not the recipient\'s fault', () => {
    const result = analyze('sender-rejected.eml');
    if (result.report.kind !== 'dsn') throw new Error(result.report.kind);
    expect(result.report.dsn.recipients[0].classification).toMatchObject({ outcome: 'blocked', rule: 'before-rcpt' });
  });
});

describe('bounces that are not DSNs', () => {
  it('qmail "failure notice": reads (#5.1.1), ignores the words of the returned copy', () => {
    const result = analyze('qmail-failure-notice.eml');
    if (result.report.kind !== 'plain-bounce') throw new Error(result.report.kind);
    expect(result.report.bounce.temporary).toBe(false);
    expect(result.report.bounce.failures.map((f) => [f.address, verdict(f.classification)])).toEqual([['old.account@example.biz', 'bounced/hard:mailbox_unknown']]);
    expect(result.tokenCandidates).toEqual([VERP]);
  });

  it('Exim text bounce (with Auto-Submitted: auto-replied) is a bounce, not an auto-reply', () => {
    const result = analyze('exim-failed.eml');
    if (result.report.kind !== 'plain-bounce') throw new Error(result.report.kind);
    const [failure] = result.report.bounce.failures;
    expect(failure.address).toBe('jo@example.co.uk');
    expect(failure.reply).toBe('550 5.2.1 The email account that you tried to reach is disabled.');
    expect(verdict(failure.classification)).toBe('bounced/hard:mailbox_disabled');
  });

  it('old Sendmail "Returned mail: see transcript"', () => {
    const result = analyze('sendmail-old.eml');
    if (result.report.kind !== 'plain-bounce') throw new Error(result.report.kind);
    expect(result.report.bounce.failures).toHaveLength(1);
    expect(result.report.bounce.failures[0].address).toBe('prof.gone@legacy.example.edu');
    expect(verdict(result.report.bounce.failures[0].classification)).toBe('bounced/hard:mailbox_unknown');
  });

  it('Yahoo "Failure Notice" (a "554:" reply without an enhanced code)', () => {
    const result = analyze('yahoo-failure-notice.eml');
    if (result.report.kind !== 'plain-bounce') throw new Error(result.report.kind);
    const [failure] = result.report.bounce.failures;
    expect(failure.address).toBe('nobody.here@yahoo.com');
    expect(failure.reply).toMatch(/^554: delivery error: dd This user doesn't have a yahoo.com account/);
    expect(verdict(failure.classification)).toBe('bounced/hard:mailbox_unknown');
  });

  it('an Exim delay warning is temporary', () => {
    const result = analyze('exim-delay-warning.eml');
    if (result.report.kind !== 'plain-bounce') throw new Error(result.report.kind);
    expect(result.report.bounce.temporary).toBe(true);
    expect(result.report.bounce.failures[0].classification.outcome).toBe('deferred');
  });

  it('a vague notice from a mail system without a reason is soft, so nothing is suppressed on a guess', () => {
    const bounce = detectPlainBounce({ from: 'MAILER-DAEMON@x.example', subject: 'Undeliverable', text: 'Your message could not be delivered.\n', envelopeSender: '' });
    expect(bounce && verdict(bounce.failures[0].classification)).toBe('bounced/soft:other');
  });

  it('needs a sign of a mail system: a person writing "could not be delivered" is not a bounce', () => {
    expect(detectPlainBounce({ from: 'pat@gmail.com', subject: 'Re: invoice', text: 'The parcel could not be delivered, permanent error at the depot', envelopeSender: 'pat@gmail.com' })).toBeNull();
  });
});

describe('auto-replies are not bounces', () => {
  it('Exchange "Automatic reply:" (Auto-Submitted: auto-generated), even with failure words in it', () => {
    const result = analyze('ooo-exchange.eml', '');
    expect(result.report).toEqual({ kind: 'auto-reply', autoReply: { kind: 'vacation', signal: 'auto-submitted:auto-generated' } });
  });

  it('a vacation program from the null sender with X-Autoreply and an encoded German subject', () => {
    const result = analyze('ooo-vacation-null-sender.eml', '');
    expect(result.report.kind).toBe('auto-reply');
    expect(result.subject).toBe('Abwesenheitsnotiz: Ihre Rechnung');
  });

  it('Gmail vacation responder (Auto-Submitted: auto-replied, subject "Re:")', () => {
    expect(analyze('ooo-gmail.eml', 'pat@gmail.com').report).toEqual({ kind: 'auto-reply', autoReply: { kind: 'vacation', signal: 'auto-submitted:auto-replied' } });
  });

  it('a person replying to the return path is neither', () => {
    expect(analyze('human-reply.eml', 'pat@gmail.com').report).toEqual({ kind: 'other' });
  });

  it.each([
    ['Out of Office: Re: your order', 'vacation'],
    ['[EXT] Automatic reply: Your receipt', 'vacation'],
    ['Réponse automatique : absent', 'vacation'],
    ['RE: Your receipt (Out of Office)', 'vacation'],
    ['Your receipt', null],
    ['Outstanding offices for lease', null],
  ])('subject %j -> %s', (subject, kind) => {
    const headers = parseMime(`Subject: ${subject}\r\n\r\nbody`).headers;
    expect(detectAutoReply(headers)?.kind ?? null).toBe(kind);
  });

  it('Auto-Submitted: no is not automatic', () => {
    expect(detectAutoReply(parseMime('Auto-Submitted: no\r\nSubject: hi\r\n\r\n').headers)).toBeNull();
  });
});

describe('feedback reports (ARF, RFC 5965)', () => {
  it('Yahoo abuse report: a complaint, matched through Original-Mail-From', () => {
    const result = analyze('arf-yahoo-abuse.eml', 'feedbackloop@yahoo.com');
    if (result.report.kind !== 'feedback') throw new Error(result.report.kind);
    expect(result.report.feedback).toMatchObject({
      feedbackType: 'abuse',
      complaint: true,
      originalMailFrom: VERP,
      originalRcptTo: ['complainer@yahoo.com'],
      userAgent: 'Yahoo!-Mail-Feedback/2.0',
      reportedDomains: ['example.com'],
    });
    expect(result.tokenCandidates).toContain(VERP);
    expect(result.original?.messageId).toBe('20261123115959.abc125@example.com');
  });

  it('an authentication-failure report is not a complaint', () => {
    const result = analyze('arf-auth-failure.eml');
    if (result.report.kind !== 'feedback') throw new Error(result.report.kind);
    expect(result.report.feedback.complaint).toBe(false);
  });
});

describe('hostile input', () => {
  it('survives deep nesting, a missing closing boundary and a header flood', () => {
    let nested = 'Content-Type: text/plain\r\n\r\ncore';
    for (let i = 0; i < 50; i++) nested = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${nested}\r\n--b${i}--`;
    expect(analyzeInboundMessage(nested).report.kind).toBe('other');
    const flood = `${'X-A: b\r\n'.repeat(100_000)}Subject: x\r\n\r\nbody`;
    expect(analyzeInboundMessage(flood).report.kind).toBe('other');
    const truncated = 'Content-Type: multipart/report; report-type=delivery-status; boundary=T\r\n\r\n--T\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\nAction: failed\r\nStatus: 5.1.1\r\n';
    const result = analyzeInboundMessage(truncated);
    expect(result.report.kind).toBe('dsn');
  });

  it('stays fast on text built to make pattern matching backtrack (no quadratic scans)', () => {
    const shapes = ['a'.repeat(200_000), 'x@' + 'a-'.repeat(100_000), 'x@' + 'a.'.repeat(100_000) + '1', '550'.repeat(70_000), '\n'.repeat(200_000), ' \n'.repeat(100_000), '-'.repeat(200_000), '@'.repeat(200_000), 'a@'.repeat(100_000)];
    for (const body of shapes) {
      const raw = `From: MAILER-DAEMON@x.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\nThis is the mail system. Your message could not be delivered.\r\n${body}\r\n`;
      const started = performance.now();
      analyzeInboundMessage(raw, { sender: '' });
      expect(performance.now() - started, `shape ${JSON.stringify(body.slice(0, 6))}`).toBeLessThan(1000);
    }
  });

  it('stays fast and small on a hostile HTML-only or quoted-printable report', () => {
    for (const html of ['<'.repeat(200_000), '<script'.repeat(28_000), '<style>'.repeat(20_000) + 'x']) {
      const raw = `Content-Type: multipart/report; report-type=delivery-status; boundary=H\r\n\r\n--H\r\nContent-Type: text/html\r\n\r\n${html}\r\n--H--\r\n`;
      const started = performance.now();
      analyzeInboundMessage(raw);
      expect(performance.now() - started, `html ${html.slice(0, 8)}`).toBeLessThan(1000);
    }
    const qp = `Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\nSubject: Undelivered Mail Returned to Sender\r\nFrom: MAILER-DAEMON@x.example\r\n\r\n${'=41'.repeat(3_000_000)}\r\n`;
    const before = process.memoryUsage().rss;
    analyzeInboundMessage(qp, { sender: '' });
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('decodes quoted-printable with soft breaks and keeps bad escapes as they are', () => {
    const part = parseMime('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nStatus: caf=C3=A9 =\r\ncontinued =ZZ end=3D\r\n');
    expect(partText(part)).toBe('Status: café continued =ZZ end=\r\n');
    expect(partText(part, 8)).toBe('Status: ');
  });

  it('decodes base64 report parts', () => {
    const status = Buffer.from('Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\nAction: failed\r\nStatus: 5.2.2\r\n').toString('base64');
    const raw = `Content-Type: multipart/report; report-type=delivery-status; boundary=Q\r\n\r\n--Q\r\nContent-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n${status}\r\n--Q--\r\n`;
    const result = analyzeInboundMessage(raw);
    if (result.report.kind !== 'dsn') throw new Error(result.report.kind);
    expect(verdict(result.report.dsn.recipients[0].classification)).toBe('bounced/soft:mailbox_full');
  });
});
