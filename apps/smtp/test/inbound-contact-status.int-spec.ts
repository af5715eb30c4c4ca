import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryStatusReport, feedbackReport } from '@mailroom/testing';
import { seedDomain, seedSentToOne, sendOnce, startInbound, type InboundHarness, type SeededDomain } from './inbound-harness';

function dsn(to: string, recipient: string, status: string, diagnostic: string): string {
  return deliveryStatusReport({ from: 'MAILER-DAEMON@mx.remote.example', to, subject: 'Undelivered Mail Returned to Sender', recipient, status, diagnostic });
}

function arf(to: string, mailFrom: string, recipient: string): string {
  return feedbackReport({ from: 'feedbackloop@isp.example', to, subject: 'complaint', mailFrom, recipient, original: [`To: ${recipient}`, 'Subject: News', '', 'Hello.'] });
}

/** Contacts learn of hard bounces and complaints that arrive as reports at the inbound MX. */
describe('inbound reports update the contact they reached', () => {
  let h: InboundHarness;
  let shop: SeededDomain;

  beforeAll(async () => {
    h = await startInbound();
    shop = await seedDomain(h, 'news.example');
  });
  afterAll(async () => h?.close());

  async function contact(email: string, status = 'active'): Promise<string> {
    const id = randomUUID();
    await h.sql.query(`INSERT INTO contacts (id, account_id, email, status) VALUES ($1, $2, $3, $4::contact_status)`, [id, shop.accountId, email, status]);
    return id;
  }
  const statusOf = async (id: string) => (await h.sql.query<{ status: string }>(`SELECT status FROM contacts WHERE id = $1`, [id]))[0]!.status;

  it('a hard-bounce DSN makes the contact bounced: by the recipient’s contact id, or by address', async () => {
    const named = await contact('named@remote.example');
    const sent = await seedSentToOne(h, shop, 'named@remote.example');
    await h.sql.query(`UPDATE recipients SET contact_id = $1 WHERE id = $2`, [named, sent.recipient.id]);
    await sendOnce(h.port, '', [sent.verp], dsn(sent.verp, 'named@remote.example', '5.1.1', '550 5.1.1 User unknown'));
    expect(await statusOf(named)).toBe('bounced');

    const byAddress = await contact('mixed.case@remote.example');
    const other = await seedSentToOne(h, shop, 'Mixed.Case@remote.example');
    await sendOnce(h.port, '', [other.verp], dsn(other.verp, 'Mixed.Case@remote.example', '5.1.1', '550 5.1.1 User unknown'));
    expect(await statusOf(byAddress)).toBe('bounced');
  });

  it('a soft bounce leaves the contact active; a complaint makes it complained, even after a bounce', async () => {
    const soft = await contact('full@remote.example');
    const sent = await seedSentToOne(h, shop, 'full@remote.example');
    await sendOnce(h.port, '', [sent.verp], dsn(sent.verp, 'full@remote.example', '5.2.2', '552 5.2.2 Mailbox full'));
    expect(await statusOf(soft)).toBe('active');

    const complainer = await contact('angry@remote.example', 'bounced');
    const mail = await seedSentToOne(h, shop, 'angry@remote.example');
    await sendOnce(h.port, '', [mail.verp], arf(mail.verp, mail.verp, 'angry@remote.example'));
    expect(await statusOf(complainer)).toBe('complained');
  });

  it('another account’s contact with the same address is left alone', async () => {
    const otherShop = await seedDomain(h, 'other.example');
    const theirs = randomUUID();
    await h.sql.query(`INSERT INTO contacts (id, account_id, email) VALUES ($1, $2, 'shared@remote.example')`, [theirs, otherShop.accountId]);
    const ours = await contact('shared@remote.example');
    const sent = await seedSentToOne(h, shop, 'shared@remote.example');
    await sendOnce(h.port, '', [sent.verp], dsn(sent.verp, 'shared@remote.example', '5.1.1', '550 5.1.1 User unknown'));
    expect(await statusOf(ours)).toBe('bounced');
    expect(await statusOf(theirs)).toBe('active');
  });
});
