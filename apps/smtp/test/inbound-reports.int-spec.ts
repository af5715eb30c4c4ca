import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryStatusReport, feedbackReport } from '@mailroom/testing';
import { RawSmtp, seedDomain, seedMailbox, seedMessage, seedSentToOne, sendOnce, startShopInbound, type InboundHarness, type SeededDomain } from './inbound-harness';

/** A Postfix-style DSN for one recipient, as a remote MTA sends it to the VERP address. */
function dsn(to: string, recipient: string, status: string, diagnostic: string, action = 'failed'): string {
  return deliveryStatusReport({
    from: 'MAILER-DAEMON@mx.remote.example (Mail Delivery System)',
    to,
    subject: 'Undelivered Mail Returned to Sender',
    headers: ['Auto-Submitted: auto-replied', `Message-ID: <dsn-${Math.random().toString(36).slice(2)}@mx.remote.example>`],
    text: [`<${recipient}>: host mx.remote.example said: ${diagnostic} (in reply to RCPT TO command)`, ''],
    recipient,
    action,
    status,
    diagnostic,
    originalHeaders: ['Subject: Your receipt', ''],
  });
}

function arf(to: string, originalMailFrom: string, recipient: string, type = 'abuse'): string {
  return feedbackReport({
    from: 'feedbackloop@yahoo.example',
    to,
    subject: 'FW: Your receipt',
    text: ['This is an email abuse report.', ''],
    type,
    fields: ['User-Agent: Yahoo!-Mail-Feedback/2.0'],
    mailFrom: originalMailFrom,
    recipient,
    original: [`Return-Path: <${originalMailFrom}>`, 'From: hello@shop.example', `To: ${recipient}`, 'Subject: Your receipt', '', 'Thanks.'],
  });
}

describe('inbound MX: bounces and complaints matched through the VERP token', () => {
  let h: InboundHarness;
  let shop: SeededDomain;
  let bounceBox: string;

  beforeAll(async () => {
    ({ h, shop, bounceBox } = await startShopInbound());
  });
  afterAll(async () => h?.close());

  const recipientRow = async (id: string) => (await h.sql.query<{ status: string; bounce_type: string | null; last_enhanced: string | null }>(`SELECT status, bounce_type, last_enhanced FROM recipients WHERE id = $1`, [id]))[0];
  const suppression = async (email: string) => (await h.sql.query<{ reason: string; message_id: string }>(`SELECT reason, message_id FROM suppressions WHERE account_id = $1 AND email = $2`, [shop.accountId, email]))[0];
  const events = async (recipientId: string) => h.sql.query<{ type: string; detail: string; data: Record<string, unknown> }>(`SELECT type, detail, data FROM message_events WHERE recipient_id = $1 ORDER BY id`, [recipientId]);
  const stats = async () => (await h.sql.query<Record<string, number>>(`SELECT bounced_hard, bounced_soft, blocked, complained FROM daily_stats WHERE account_id = $1`, [shop.accountId]))[0];
  const bouncesFolder = async () => h.sql.query<{ subject: string; raw: Buffer }>(`SELECT s.subject, s.raw FROM stored_mail s JOIN folders f ON f.id = s.folder_id WHERE f.mailbox_id = $1 AND f.name = 'Bounces' ORDER BY s.uid`, [bounceBox]);

  it('a DSN for a delivered message turns the recipient bounced, suppresses it, counts it and files the report', async () => {
    const { message, recipient, verp } = await seedSentToOne(h, shop, 'nobody@remote.example');
    const result = await sendOnce(h.port, '', [verp], dsn(verp, 'nobody@remote.example', '5.1.1', '550 5.1.1 <nobody@remote.example>: Recipient address rejected: User unknown'));
    expect(result.rcpt).toEqual([expect.stringMatching(/^250 /)]);
    expect(result.data).toMatch(/^250 2\.0\.0 Ok: queued as /);

    expect(await recipientRow(recipient.id)).toEqual({ status: 'bounced', bounce_type: 'hard', last_enhanced: '5.1.1' });
    expect(await suppression('nobody@remote.example')).toEqual({ reason: 'hard_bounce', message_id: message.messageId });
    const [event] = await events(recipient.id);
    expect(event.type).toBe('bounced');
    expect(event.detail).toContain('User unknown');
    expect(event.data).toMatchObject({ source: 'dsn', status: '5.1.1', rule: 'mailbox-unknown-code', category: 'mailbox_unknown', reporting_mta: 'mx.remote.example' });
    expect(await stats()).toMatchObject({ bounced_hard: 1 });
    const filed = await bouncesFolder();
    expect(filed.map((m) => m.subject)).toEqual(['Undelivered Mail Returned to Sender']);
    expect(filed[0].raw.toString()).toMatch(/^Return-Path: <>\r\nDelivered-To: bnc-r/);

    // The same report again (a retrying remote MTA) changes and counts nothing more.
    await sendOnce(h.port, '', [verp], dsn(verp, 'nobody@remote.example', '5.1.1', '550 5.1.1 User unknown'));
    expect(await events(recipient.id)).toHaveLength(1);
    expect(await stats()).toMatchObject({ bounced_hard: 1 });
  });

  it('a message token: the DSN picks the recipient by address; mailbox full is soft and not suppressed', async () => {
    const message = await seedMessage(h, shop, ['full@remote.example', 'fine@remote.example']);
    const verp = h.returnPath.address({ kind: 'message', messageId: message.messageId }, shop.returnPathDomain);
    const result = await sendOnce(h.port, '', [verp], dsn(verp, 'FULL@remote.example', '5.2.2', '552 5.2.2 Mailbox full'));
    expect(result.data).toMatch(/^250 /);
    const [full, fine] = message.recipients;
    expect(await recipientRow(full.id)).toMatchObject({ status: 'bounced', bounce_type: 'soft' });
    expect(await recipientRow(fine.id)).toMatchObject({ status: 'delivered' });
    expect(await suppression('full@remote.example')).toBeUndefined();
  });

  it('a domain-bound message token reaches only recipients in its domain', async () => {
    const message = await seedMessage(h, shop, ['one@remote.example', 'two@remote.example', 'victim@other.example']);
    const verp = h.returnPath.addressForDomain(message.messageId, 'remote.example', shop.returnPathDomain);
    // A recipient at remote.example forges a DSN naming a recipient at another domain.
    await sendOnce(h.port, '', [verp], dsn(verp, 'victim@other.example', '5.1.1', '550 5.1.1 User unknown'));
    const victim = message.recipients.find((r) => r.email === 'victim@other.example')!;
    expect(await recipientRow(victim.id)).toMatchObject({ status: 'delivered' });
    expect(await suppression('victim@other.example')).toBeUndefined();
    // A DSN naming a recipient of its own transaction applies.
    await sendOnce(h.port, '', [verp], dsn(verp, 'two@remote.example', '5.1.1', '550 5.1.1 User unknown'));
    const two = message.recipients.find((r) => r.email === 'two@remote.example')!;
    expect(await recipientRow(two.id)).toMatchObject({ status: 'bounced', bounce_type: 'hard' });
  });

  it('a policy rejection reported later is blocked: counted, never suppressed', async () => {
    const { recipient, verp } = await seedSentToOne(h, shop, 'policy@remote.example');
    await sendOnce(h.port, '', [verp], dsn(verp, 'policy@remote.example', '5.7.1', '550 5.7.1 Client host blocked using Spamhaus'));
    expect(await recipientRow(recipient.id)).toMatchObject({ status: 'blocked' });
    expect(await suppression('policy@remote.example')).toBeUndefined();
    expect(await stats()).toMatchObject({ blocked: 1 });
  });

  it('a delay notice only adds a deferred event; the recipient stays delivered', async () => {
    const { recipient, verp } = await seedSentToOne(h, shop, 'slow@remote.example');
    await sendOnce(h.port, '', [verp], dsn(verp, 'slow@remote.example', '4.4.1', '451 4.4.1 Connection timed out', 'delayed'));
    expect(await recipientRow(recipient.id)).toMatchObject({ status: 'delivered' });
    expect((await events(recipient.id)).map((e) => e.type)).toEqual(['deferred']);
  });

  it('an ARF report marks the recipient complained and suppresses the address', async () => {
    const { recipient, verp } = await seedSentToOne(h, shop, 'angry@yahoo.example', 'delivered', 'broadcast');
    const result = await sendOnce(h.port, 'feedbackloop@yahoo.example', [verp], arf(verp, verp, 'angry@yahoo.example'));
    expect(result.data).toMatch(/^250 /);
    expect(await recipientRow(recipient.id)).toMatchObject({ status: 'complained' });
    expect(await suppression('angry@yahoo.example')).toMatchObject({ reason: 'complaint' });
    expect((await events(recipient.id))[0]).toMatchObject({ type: 'complained', data: expect.objectContaining({ source: 'arf', feedback_type: 'abuse' }) });
    const [row] = await h.sql.query<{ complained: number }>(`SELECT complained FROM daily_stats WHERE account_id = $1 AND stream = 'broadcast'`, [shop.accountId]);
    expect(row.complained).toBe(1);
  });

  it('a feedback loop report sent to a mailbox (fbl@) is matched through the signed Original-Mail-From, and filed in INBOX', async () => {
    const fbl = await seedMailbox(h, shop, 'fbl@shop.example');
    const { recipient, verp } = await seedSentToOne(h, shop, 'other@aol.example');
    const result = await sendOnce(h.port, 'fbl@aol.example', ['fbl@shop.example'], arf('fbl@shop.example', verp, 'other@aol.example'));
    expect(result.data).toMatch(/^250 /);
    expect(await recipientRow(recipient.id)).toMatchObject({ status: 'complained' });
    const inbox = await h.sql.query(`SELECT 1 FROM stored_mail s JOIN folders f ON f.id = s.folder_id WHERE f.mailbox_id = $1 AND f.name = 'INBOX'`, [fbl]);
    expect(inbox).toHaveLength(1);
  });

  it('an out-of-office reply to the return path is not a bounce: nothing changes, it is filed', async () => {
    const { recipient, verp } = await seedSentToOne(h, shop, 'away@remote.example');
    const ooo = [
      'From: Away Person <away@remote.example>',
      `To: ${verp}`,
      'Subject: Automatic reply: Your receipt',
      'Auto-Submitted: auto-replied',
      'X-Auto-Response-Suppress: All',
      '',
      'I am out of the office until Monday. Your message could not be delivered to my assistant either.',
      '',
    ].join('\r\n');
    const result = await sendOnce(h.port, '', [verp], ooo);
    expect(result.data).toMatch(/^250 /);
    expect(await recipientRow(recipient.id)).toMatchObject({ status: 'delivered', bounce_type: null });
    expect(await events(recipient.id)).toEqual([]);
    expect(await suppression('away@remote.example')).toBeUndefined();
    expect((await bouncesFolder()).map((m) => m.subject)).toContain('Automatic reply: Your receipt');
  });

  it('a forged or tampered token is refused at RCPT and changes nothing', async () => {
    const { recipient, verp: good } = await seedSentToOne(h, shop, 'victim@remote.example');
    const tampered = good.replace(/-([0-9a-f]{16})@/, (_, mac: string) => `-${mac.slice(0, 15)}${mac.endsWith('0') ? '1' : '0'}@`);
    const otherId = good.replace(/^bnc-r([0-9a-f])/, (_, c: string) => `bnc-r${c === '0' ? '1' : '0'}`);
    const client = await RawSmtp.open(h.port);
    await client.hello();
    expect(await client.command('MAIL FROM:<>')).toMatch(/^250 /);
    for (const address of [tampered, otherId, `bnc-r${'0'.repeat(32)}-${'0'.repeat(16)}@${shop.returnPathDomain}`, `postmaster@${shop.returnPathDomain}`]) {
      expect(await client.command(`RCPT TO:<${address}>`)).toBe('550 5.1.1 No such user here');
    }
    // A valid token on another domain's return path is not accepted either.
    const other = await seedDomain(h, 'other.example');
    expect(await client.command(`RCPT TO:<${good.replace(shop.returnPathDomain, other.returnPathDomain)}>`)).toBe('550 5.1.1 No such user here');
    client.close();

    // A genuine token for one message cannot be used to bounce another message's recipient.
    const mine = await seedMessage(h, shop, ['attacker@remote.example']);
    const mineVerp = h.returnPath.address({ kind: 'message', messageId: mine.messageId }, shop.returnPathDomain);
    const result = await sendOnce(h.port, '', [mineVerp], dsn(mineVerp, 'victim@remote.example', '5.1.1', '550 5.1.1 User unknown'));
    expect(result.data).toMatch(/^250 /);
    expect(await recipientRow(recipient.id)).toMatchObject({ status: 'delivered' });
    expect(await suppression('victim@remote.example')).toBeUndefined();
    expect(await recipientRow(mine.recipients[0].id)).toMatchObject({ status: 'delivered' });
  });

  it('a domain without a bounce mailbox: reports are applied and acknowledged, other mail to the return path is refused', async () => {
    const bare = await seedDomain(h, 'bare.example');
    const message = await seedMessage(h, bare, ['gone@remote.example', 'chatty@remote.example']);
    const [gone, chatty] = message.recipients;
    const goneVerp = h.returnPath.address({ kind: 'recipient', recipientId: gone.id }, bare.returnPathDomain);
    const report = await sendOnce(h.port, '', [goneVerp], dsn(goneVerp, 'gone@remote.example', '5.1.1', '550 5.1.1 User unknown'));
    expect(report.data).toMatch(/^250 /);
    expect(await recipientRow(gone.id)).toMatchObject({ status: 'bounced' });
    const chattyVerp = h.returnPath.address({ kind: 'recipient', recipientId: chatty.id }, bare.returnPathDomain);
    const reply = await sendOnce(h.port, 'chatty@remote.example', [chattyVerp], 'From: chatty@remote.example\r\nSubject: Re: Your receipt\r\n\r\nThanks!\r\n');
    expect(reply.data).toBe('550 5.7.1 This return-path address takes delivery reports and complaints only');
    expect(await recipientRow(chatty.id)).toMatchObject({ status: 'delivered' });
  });

  it('a report about a recipient that was never sent (queued) changes nothing', async () => {
    const { recipient, verp } = await seedSentToOne(h, shop, 'later@remote.example', 'queued');
    await sendOnce(h.port, '', [verp], dsn(verp, 'later@remote.example', '5.1.1', '550 5.1.1 User unknown'));
    expect(await recipientRow(recipient.id)).toMatchObject({ status: 'queued' });
  });
});
