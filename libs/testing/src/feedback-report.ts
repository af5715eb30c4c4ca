/** An ARF complaint (RFC 5965) as a feedback loop sends it: the lines of each part are the caller's. */
export interface FeedbackReportOptions {
  from: string;
  /** Where the report is sent: the VERP address of the message complained about. */
  to: string;
  subject: string;
  /** Lines of the human-readable part; none, no such part. */
  text?: string[];
  /** Feedback-report fields between Feedback-Type and Version (User-Agent...). */
  fields?: string[];
  type?: string;
  mailFrom: string;
  recipient: string;
  /** Header and body lines of the message/rfc822 part. */
  original: string[];
}

export function feedbackReport(report: FeedbackReportOptions): string {
  return [
    `From: ${report.from}`,
    `To: ${report.to}`,
    `Subject: ${report.subject}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="F"',
    '',
    ...(report.text ? ['--F', 'Content-Type: text/plain', '', ...report.text] : []),
    '--F',
    'Content-Type: message/feedback-report',
    '',
    `Feedback-Type: ${report.type ?? 'abuse'}`,
    ...(report.fields ?? []),
    'Version: 1',
    `Original-Mail-From: <${report.mailFrom}>`,
    `Original-Rcpt-To: <${report.recipient}>`,
    '',
    '--F',
    'Content-Type: message/rfc822',
    '',
    ...report.original,
    '--F--',
    '',
  ].join('\r\n');
}

/** A DSN (RFC 3464) for one recipient, as a remote MTA sends it to the VERP address: the lines of each part are the caller's. */
export interface DeliveryStatusReportOptions {
  from: string;
  to: string;
  subject: string;
  /** Header lines after Subject (Auto-Submitted, Message-ID...). */
  headers?: string[];
  /** Lines of the human-readable part; none, no such part. */
  text?: string[];
  recipient: string;
  action?: string;
  status: string;
  diagnostic: string;
  /** Lines of a text/rfc822-headers part; none, no such part. */
  originalHeaders?: string[];
}

export function deliveryStatusReport(report: DeliveryStatusReportOptions): string {
  return [
    `From: ${report.from}`,
    `To: ${report.to}`,
    `Subject: ${report.subject}`,
    ...(report.headers ?? []),
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    ...(report.text ? ['--B', 'Content-Type: text/plain', '', ...report.text] : []),
    '--B',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.remote.example',
    '',
    `Final-Recipient: rfc822; ${report.recipient}`,
    `Action: ${report.action ?? 'failed'}`,
    `Status: ${report.status}`,
    `Diagnostic-Code: smtp; ${report.diagnostic}`,
    '',
    ...(report.originalHeaders ? ['--B', 'Content-Type: text/rfc822-headers', '', ...report.originalHeaders] : []),
    '--B--',
    '',
  ].join('\r\n');
}
