import { describe, expect, it } from 'vitest';
import { analyzeInboundMessage } from './analyze-report';
import { parseMime, partText } from './mime';

const crlf = (...lines: string[]) => lines.join('\r\n');
const dsn = (boundaryParam: string) =>
  crlf(
    'From: MAILER-DAEMON@mx.example',
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; ${boundaryParam}`,
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--b',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example',
    '',
    'Final-Recipient: rfc822; gone@example.net',
    'Action: failed',
    'Status: 5.1.1',
    '--b--',
    '',
  );

/**
 * Reports are read with libs/mime's MIME tree, the mail store's. Where the report reader's own
 * parser read otherwise, these say which reading was kept and why.
 */
describe('reading reports with the one MIME tree', () => {
  it('reads a DSN as before', () => {
    const report = analyzeInboundMessage(dsn('boundary="b"')).report;
    expect(report.kind === 'dsn' && report.dsn.recipients.map((r) => `${r.finalRecipient} ${r.status}`)).toEqual(['gone@example.net 5.1.1']);
  });

  // RFC 2045 section 5.1: a comment may follow a parameter value. It used to become part of the
  // boundary, so no delimiter matched and the report went unread.
  it('drops a comment after the boundary', () => {
    expect(analyzeInboundMessage(dsn('boundary=b (sent by us)')).report.kind).toBe('dsn');
  });

  // A text/rfc822-headers part is one header block: it ends at its first empty line. Lines after
  // it used to be read as header fields as well (a Return-Path written into the body counted).
  it('reads a returned header block up to its first empty line', () => {
    const raw = crlf(
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary=b',
      '',
      '--b',
      'Content-Type: text/rfc822-headers',
      '',
      'Subject: the original',
      '',
      'Return-Path: <bnc-r0123456789abcdef0123456789abcdef-0123456789abcdef@bounce.example>',
      '--b--',
      '',
    );
    const analyzed = analyzeInboundMessage(raw);
    expect(analyzed.original).toEqual({ messageId: undefined, returnPath: undefined, subject: 'the original' });
    expect(analyzed.tokenCandidates).toEqual([]);
  });

  // RFC 5322 section 2.2.3: unfolding removes the line break only.
  it('unfolds header values as RFC 5322 says', () => {
    expect(analyzeInboundMessage(crlf('Subject: Delivery', '   failure', '', 'x')).subject).toBe('Delivery   failure');
  });

  // RFC 2045 section 4: without MIME-Version or Content-Type, Content-Transfer-Encoding means nothing.
  it('reads the body of a message that is not MIME as it is', () => {
    expect(partText(parseMime(crlf('Subject: x', 'Content-Transfer-Encoding: base64', '', 'aGk=', '')))).toBe('aGk=\r\n');
  });

  it('does not read the last part twice when the report ends on a delimiter without a line break', () => {
    const root = parseMime(crlf('MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=b', '', '--b', '', 'only once', '--b'));
    expect(root.children.map((part) => partText(part))).toEqual(['only once', '']);
  });

  it('leaves a multipart of more parts than it reads unopened', () => {
    const raw = `MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n${'--b\r\n\r\nx\r\n'.repeat(250)}--b--\r\n`;
    expect(parseMime(raw).children).toEqual([]);
    expect(parseMime(raw, { maxParts: 300 }).children).toHaveLength(250);
  });
});
