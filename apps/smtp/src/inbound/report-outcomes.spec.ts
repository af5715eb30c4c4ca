import { describe, expect, it } from 'vitest';
import { analyzeInboundMessage } from '@mailroom/bounce';
import type { ReportTarget } from '@mailroom/db';
import { reportOutcomes } from './report-outcomes';

const target: ReportTarget = {
  messageId: 'm1',
  accountId: 'a1',
  domainId: 'd1',
  returnPathDomain: 'mr-bounces.shop.example',
  bounceMailboxId: null,
  messageIdHeader: 'x@shop.example',
  recipients: [
    { id: 'r1', email: 'Alice@remote.example', status: 'delivered' },
    { id: 'r2', email: 'bob@remote.example', status: 'delivered' },
  ],
};

const dsn = (recipient: string, status = '5.1.1', diagnostic = '550 5.1.1 User unknown') =>
  analyzeInboundMessage(
    `Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.remote.example\r\n\r\nFinal-Recipient: rfc822; ${recipient}\r\nAction: failed\r\nStatus: ${status}\r\nDiagnostic-Code: smtp; ${diagnostic}\r\n--B--\r\n`,
  );

describe('reportOutcomes', () => {
  it('with a message token, matches the reported address (any case) and no one else', () => {
    expect(reportOutcomes(dsn('alice@REMOTE.example'), target, { kind: 'message', messageId: 'm1' })).toEqual([
      expect.objectContaining({ recipientId: 'r1', status: 'bounced', bounceType: 'hard', suppress: true, enhanced: '5.1.1', code: 550 }),
    ]);
    expect(reportOutcomes(dsn('stranger@remote.example'), target, { kind: 'message', messageId: 'm1' })).toEqual([]);
  });

  it('with a recipient token, a report naming a forwarded address still applies to that recipient', () => {
    const one = { ...target, recipients: [target.recipients[1]] };
    expect(reportOutcomes(dsn('bob.forwarded@elsewhere.example', '5.2.2', '552 5.2.2 Mailbox full'), one, { kind: 'recipient', recipientId: 'r2' })).toEqual([
      expect.objectContaining({ recipientId: 'r2', status: 'bounced', bounceType: 'soft', suppress: false }),
    ]);
  });

  it('with a recipient token, a report that says our address was delivered does not bounce it for another address', () => {
    const one = { ...target, recipients: [target.recipients[1]] };
    const report = analyzeInboundMessage(
      'Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n' +
        'Final-Recipient: rfc822; bob@remote.example\r\nAction: expanded\r\nStatus: 2.0.0\r\n\r\n' +
        'Final-Recipient: rfc822; bob.old@elsewhere.example\r\nAction: failed\r\nStatus: 5.1.1\r\n--B--\r\n',
    );
    expect(reportOutcomes(report, one, { kind: 'recipient', recipientId: 'r2' })).toEqual([]);
  });

  it('blocked never suppresses; auto-replies and other mail change nothing', () => {
    expect(reportOutcomes(dsn('bob@remote.example', '5.7.1', '550 5.7.1 blocked using Spamhaus'), target, { kind: 'message', messageId: 'm1' })).toEqual([
      expect.objectContaining({ recipientId: 'r2', status: 'blocked', suppress: false }),
    ]);
    const ooo = analyzeInboundMessage('Subject: Out of Office: hello\r\nAuto-Submitted: auto-replied\r\n\r\nAway.\r\n');
    expect(reportOutcomes(ooo, target, { kind: 'recipient', recipientId: 'r1' })).toEqual([]);
    const human = analyzeInboundMessage('Subject: Re: hello\r\n\r\nThanks!\r\n');
    expect(reportOutcomes(human, target, { kind: 'recipient', recipientId: 'r1' })).toEqual([]);
  });

  it('a feedback report that is not a complaint (auth-failure) changes nothing', () => {
    const report = analyzeInboundMessage(
      'Content-Type: multipart/report; report-type=feedback-report; boundary=F\r\n\r\n--F\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: auth-failure\r\nVersion: 1\r\n--F--\r\n',
    );
    expect(reportOutcomes(report, target, { kind: 'recipient', recipientId: 'r1' })).toEqual([]);
  });
});
