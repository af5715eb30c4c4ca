import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedbackReport } from '@mailroom/testing';
import { RawSmtp, seedMailbox, seedSentToOne, sendOnce, startShopInbound, type InboundHarness, type SeededDomain } from './inbound-harness';

/**
 * A NUL byte anywhere in a message (RFC 5321 forbids it, but real mailers send it) must not
 * make the message unstorable: Postfix accepts it, and so does the inbound MX. The raw bytes are
 * kept as they came; the decoded fields kept beside them (subject, addresses, the report's
 * diagnostic) lose the NUL, which PostgreSQL text and jsonb cannot hold. Never a 451 that the
 * sender retries for days.
 */
describe('inbound MX: NUL bytes in the message', () => {
  let h: InboundHarness;
  let shop: SeededDomain;
  let support: string;
  let bounceBox: string;

  beforeAll(async () => {
    ({ h, shop, bounceBox } = await startShopInbound());
    support = await seedMailbox(h, shop, 'support@shop.example');
  });
  afterAll(async () => h?.close());

  const folder = async (mailboxId: string, name: string) =>
    h.sql.query<{ subject: string; from_address: string; to_addresses: string; raw: Buffer; envelope: Record<string, unknown> }>(
      `SELECT s.subject, s.from_address, s.to_addresses, s.raw, s.envelope FROM stored_mail s JOIN folders f ON f.id = s.folder_id WHERE f.mailbox_id = $1 AND f.name = $2 ORDER BY s.uid`,
      [mailboxId, name],
    );
  const recipientRow = async (id: string) =>
    (await h.sql.query<{ status: string; bounce_type: string | null; last_response: string | null }>(`SELECT status, bounce_type, last_response FROM recipients WHERE id = $1`, [id]))[0];

  it('NUL in the header section and the body: 250, filed with the bytes as received and a subject without the NUL', async () => {
    const message = 'From: Cust\0omer <customer@sender.example>\r\nTo: support@shop.example\r\nSubject: Where\0 is my order?\r\nX-Odd: \0\r\n\r\nHello\0 there.\r\n';
    const result = await sendOnce(h.port, 'customer@sender.example', ['support@shop.example'], message);
    expect(result.data).toMatch(/^250 2\.0\.0 Ok: queued as /);
    const [stored] = await folder(support, 'INBOX');
    expect(stored.subject).toBe('Where is my order?');
    expect(stored.from_address).toBe('Customer <customer@sender.example>');
    expect(stored.raw.subarray(stored.raw.indexOf('From: ')).toString('latin1')).toBe(message);
    expect(JSON.stringify(stored.envelope)).not.toContain('\\u0000');
  });

  it('NUL in MAIL FROM or RCPT TO is a permanent syntax error, not a temporary failure', async () => {
    const client = await RawSmtp.open(h.port);
    await client.hello();
    expect(await client.command('MAIL FROM:<cust\0omer@sender.example>')).toMatch(/^501 5\.1\.7 /);
    expect(await client.command('MAIL FROM:<customer@sender.example>')).toMatch(/^250 /);
    expect(await client.command('RCPT TO:<sup\0port@shop.example>')).toMatch(/^501 5\.1\.3 /);
    expect(await client.command('RCPT TO:<support@shop.example\0>')).toMatch(/^501 5\.1\.3 /);
    client.close();
  });

  it('an encoded word that decodes to NUL is stored without it', async () => {
    const result = await sendOnce(h.port, 'customer@sender.example', ['support@shop.example'], 'From: customer@sender.example\r\nSubject: =?utf-8?q?a=00b?=\r\n\r\nx\r\n');
    expect(result.data).toMatch(/^250 /);
    const stored = await folder(support, 'INBOX');
    expect(stored.at(-1)!.subject).toBe('ab');
  });

  it('a DSN with NUL in its header and its report is applied: the recipient is bounced, the report filed', async () => {
    const { recipient, verp } = await seedSentToOne(h, shop, 'nobody@remote.example');
    const dsn = [
      'From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)',
      `To: ${verp}`,
      'Subject: Undelivered Mail\0 Returned to Sender',
      'Message-ID: <dsn-nul\0@mx.remote.example>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
      '',
      '--B',
      'Content-Type: text/plain',
      '',
      '<nobody@remote.example>: host mx.remote.example said: 550 5.1.1 unknown\0 user',
      '',
      '--B',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.remote.example\0',
      '',
      'Final-Recipient: rfc822; nobody@remote.example',
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 <nobody@remote.example>: User\0 unknown',
      '',
      '--B--',
      '',
    ].join('\r\n');
    const result = await sendOnce(h.port, '', [verp], dsn);
    expect(result.data).toMatch(/^250 2\.0\.0 Ok: queued as /);
    const row = await recipientRow(recipient.id);
    expect(row).toMatchObject({ status: 'bounced', bounce_type: 'hard' });
    expect(row.last_response).not.toContain('\0');
    const [event] = await h.sql.query<{ type: string; detail: string }>(`SELECT type, detail FROM message_events WHERE recipient_id = $1`, [recipient.id]);
    expect(event.type).toBe('bounced');
    const filed = await folder(bounceBox, 'Bounces');
    expect(filed.map((m) => m.subject)).toEqual(['Undelivered Mail Returned to Sender']);
    expect(filed[0].raw.includes(Buffer.from('Subject: Undelivered Mail\0 Returned'))).toBe(true);
  });

  it('an ARF report with NUL in its fields is applied: the recipient is complained', async () => {
    const { recipient, verp } = await seedSentToOne(h, shop, 'angry@yahoo.example', 'delivered', 'broadcast');
    const report = feedbackReport({
      from: 'feedbackloop@yahoo.example',
      to: verp,
      subject: 'FW:\0 Your receipt',
      text: ['This is an email abuse report.\0', ''],
      fields: ['User-Agent: Yahoo!-Mail-Feedback/2.0\0'],
      mailFrom: verp,
      recipient: 'angry@yahoo.example',
      original: ['From: hello@shop.example', 'Subject: Your\0 receipt', '', 'Thanks.'],
    });
    const result = await sendOnce(h.port, 'feedbackloop@yahoo.example', [verp], report);
    expect(result.data).toMatch(/^250 /);
    expect(await recipientRow(recipient.id)).toMatchObject({ status: 'complained' });
  });
});
