import { generateKeyPairSync } from 'node:crypto';
import { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDnsServer, until } from '@mailroom/testing';
import { RawSmtp, seedDomain, seedMailbox, sendOnce, startInbound, type InboundHarness, type SeededDomain } from './inbound-harness';

describe('inbound MX: mail for mailboxes', () => {
  let h: InboundHarness;
  let dns: TestDnsServer;
  let shop: SeededDomain;
  let support: string;
  let privateKey: string;

  beforeAll(async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const publicKey = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    dns = await TestDnsServer.start([
      { type: 'TXT', name: 'sender.example', value: 'v=spf1 ip4:127.0.0.1 -all' },
      { type: 'TXT', name: 'sel._domainkey.sender.example', value: `v=DKIM1; k=rsa; p=${publicKey}` },
      { type: 'TXT', name: '_dmarc.sender.example', value: 'v=DMARC1; p=reject' },
      { type: 'A', name: 'mail.sender.example', address: '127.0.0.1' },
      { type: 'TXT', name: 'spoofed.example', value: 'v=spf1 -all' },
      { type: 'TXT', name: '_dmarc.spoofed.example', value: 'v=DMARC1; p=reject' },
    ]);
    h = await startInbound({ DNS_SERVERS: dns.address });
    shop = await seedDomain(h, 'shop.example');
    support = await seedMailbox(h, shop, 'support@shop.example');
  });
  afterAll(async () => {
    await h?.close();
    await dns?.close();
  });

  const inbox = async (mailboxId: string) =>
    h.sql.query<{ uid: number; subject: string; raw: Buffer }>(`SELECT s.uid, s.subject, s.raw FROM stored_mail s JOIN folders f ON f.id = s.folder_id WHERE f.mailbox_id = $1 AND f.name = 'INBOX' ORDER BY s.uid`, [mailboxId]);

  it('advertises STARTTLS, SIZE, 8BITMIME, SMTPUTF8, PIPELINING and ENHANCEDSTATUSCODES, and no AUTH', async () => {
    const client = await RawSmtp.open(h.port);
    const ehlo = await client.hello();
    client.close();
    const lines = ehlo.split('\n').map((l) => l.slice(4));
    expect(lines[0]).toMatch(/^mx\.mailroom\.test /);
    expect(lines).toEqual(expect.arrayContaining(['STARTTLS', `SIZE ${h.config.MAX_MESSAGE_SIZE}`, '8BITMIME', 'SMTPUTF8', 'PIPELINING', 'ENHANCEDSTATUSCODES']));
    expect(ehlo).not.toMatch(/AUTH/);
  });

  it('a DKIM-signed reply over STARTTLS lands in INBOX with SPF, DKIM, DMARC and ARC results; a forged result is dropped; IMAP is told', async () => {
    const subscriber = new Redis(h.config.REDIS_URL);
    const announced: string[] = [];
    await subscriber.subscribe(`${h.config.REDIS_PREFIX}:mailstore`);
    subscriber.on('message', (_channel, message: string) => announced.push(message));

    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: h.port,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      name: 'mail.sender.example',
      dkim: { domainName: 'sender.example', keySelector: 'sel', privateKey },
    });
    const info = await transport.sendMail({
      envelope: { from: 'customer@sender.example', to: ['Support@Shop.Example'] },
      from: 'Customer <customer@sender.example>',
      to: 'support@shop.example',
      subject: 'Re: Your receipt',
      text: 'Thanks, but the invoice is missing.\n',
      headers: { 'Authentication-Results': `${h.config.MAIL_HOSTNAME}; dkim=pass header.d=bank.example; spf=pass` },
    });
    transport.close();
    expect(info.accepted).toHaveLength(1);
    expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as /);

    const [stored] = await inbox(support);
    expect(stored.subject).toBe('Re: Your receipt');
    const head = stored.raw.toString().split('\r\n\r\n')[0];
    expect(head).toMatch(/^Return-Path: <customer@sender\.example>\r\nDelivered-To: support@shop\.example\r\nReceived-SPF: pass /);
    expect(head).toMatch(/\r\nReceived: from mail\.sender\.example \([^)]*\[127\.0\.0\.1\]\)\r\n\tby mx\.mailroom\.test \(Mailroom\) with ESMTPS id /);
    // Authentication-Results sits above the Received field of the hop it describes.
    expect(head.indexOf('Authentication-Results:')).toBeLessThan(head.indexOf('Received: from'));
    const results = /^Authentication-Results: ([\s\S]*?)\r\n(?=\S)/m.exec(head)?.[1] ?? '';
    expect(results).toMatch(/^mx\.mailroom\.test;/);
    expect(results).toMatch(/dkim=pass[^;]*header\.[di]=@?sender\.example/);
    expect(results).toMatch(/spf=pass[^;]*smtp\.mailfrom=customer@sender\.example/);
    expect(results).toMatch(/dmarc=pass/);
    expect(results).toMatch(/arc=none/);
    expect(head).toMatch(/^Received-SPF: pass/m);
    // Exactly one Authentication-Results under our name: the sender's forgery is gone.
    expect(head.match(/^Authentication-Results:/gim)).toHaveLength(1);
    expect(head).not.toContain('bank.example');

    await until(() => announced.length > 0);
    subscriber.disconnect();
    expect(announced.map((m) => JSON.parse(m))).toEqual([expect.objectContaining({ m: support, k: 'append' })]);
  });

  it('a spoofed sender gets spf=fail and dmarc=fail recorded, and is still filed for the reader to judge', async () => {
    const client = await RawSmtp.open(h.port);
    await client.hello('evil.example');
    const result = await client.send('ceo@spoofed.example', ['support@shop.example'], 'From: ceo@spoofed.example\r\nTo: support@shop.example\r\nSubject: Wire money\r\n\r\nNow.\r\n');
    client.close();
    expect(result.data).toMatch(/^250 /);
    const stored = (await inbox(support)).at(-1)!;
    const head = stored.raw.toString().split('\r\n\r\n')[0];
    expect(stored.subject).toBe('Wire money');
    expect(head).toMatch(/spf=fail[^;]*smtp\.mailfrom=ceo@spoofed\.example/);
    expect(head).toMatch(/dkim=none/);
    expect(head).toMatch(/dmarc=fail[^;]*header\.from=spoofed\.example/);
  });

  it('several addresses of one mailbox (any case, +tag) get one copy; the catch-all takes unknown local parts; other domains without one refuse them', async () => {
    const catchAll = await seedMailbox(h, shop, 'everything@shop.example', 'catch-all');
    const other = await seedDomain(h, 'plain.example');
    await seedMailbox(h, other, 'info@plain.example');
    const client = await RawSmtp.open(h.port);
    await client.hello();
    expect(await client.command('MAIL FROM:<a@sender.example>')).toMatch(/^250/);
    expect(await client.command('RCPT TO:<support@shop.example>')).toMatch(/^250/);
    expect(await client.command('RCPT TO:<SUPPORT@shop.example>')).toMatch(/^250/);
    expect(await client.command('RCPT TO:<support+orders@shop.example>')).toMatch(/^250/);
    expect(await client.command('RCPT TO:<whoever@shop.example>')).toMatch(/^250/);
    expect(await client.command('RCPT TO:<whoever@plain.example>')).toBe('550 5.1.1 No such user here');
    const before = (await inbox(support)).length;
    expect(await client.data('Subject: to both\r\n\r\nhi\r\n')).toMatch(/^250 /);
    client.close();
    expect((await inbox(support)).length).toBe(before + 1);
    const caught = await inbox(catchAll);
    expect(caught.map((m) => m.subject)).toEqual(['to both']);
    expect(caught[0].raw.toString()).toContain('Delivered-To: whoever@shop.example\r\n');
  });

  it('an 8-bit SMTPUTF8 message with an internationalized address is accepted', async () => {
    await seedMailbox(h, shop, 'jürgen@shop.example');
    const client = await RawSmtp.open(h.port);
    await client.hello();
    expect(await client.command('MAIL FROM:<grüße@sender.example> SMTPUTF8 BODY=8BITMIME')).toMatch(/^250/);
    expect(await client.command('RCPT TO:<jürgen@shop.example>')).toMatch(/^250/);
    expect(await client.data(Buffer.from('Subject: Grüße\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nÄÖÜ\r\n'))).toMatch(/^250 /);
    client.close();
  });

  it('nothing is acknowledged that was not stored: a failing store answers 451 and keeps nothing', async () => {
    const gone = await seedMailbox(h, shop, 'gone@shop.example');
    // The mailbox loses its folders and cannot have them re-created (its row is locked away).
    await h.sql.query(`ALTER TABLE stored_mail ADD CONSTRAINT inbound_test_refuse CHECK (subject <> 'refuse me') NOT VALID`);
    try {
      const result = await sendOnce(h.port, 'a@sender.example', ['gone@shop.example'], 'Subject: refuse me\r\n\r\nx\r\n');
      expect(result.data).toBe('451 4.3.0 Temporary local problem, please try again later');
      expect(await inbox(gone)).toEqual([]);
    } finally {
      await h.sql.query(`ALTER TABLE stored_mail DROP CONSTRAINT inbound_test_refuse`);
    }
  });
});
