import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawSmtp, seedDomain, seedMailbox, sendOnce, startInbound, type InboundHarness } from './inbound-harness';

describe('inbound MX: never a relay, and every limit answered with its code', () => {
  let h: InboundHarness;
  let catchAll: string;

  beforeAll(async () => {
    h = await startInbound({
      MAX_MESSAGE_SIZE: String(64 * 1024),
      SMTP_MAX_RECIPIENTS: '5',
      SMTP_MAX_CONNECTIONS_PER_IP: '3',
      SMTP_MAX_ERRORS: '6',
      SMTP_TIMEOUT_SECONDS: '1',
    });
    const shop = await seedDomain(h, 'shop.example');
    await seedMailbox(h, shop, 'support@shop.example');
    // A catch-all makes every local part of shop.example deliverable: the routing tricks
    // below must still be refused rather than land in it.
    catchAll = await seedMailbox(h, shop, 'all@shop.example', 'catch-all');
  });
  afterAll(async () => h?.close());

  const stored = async () => (await h.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM stored_mail`))[0].n;

  it.each([
    ['a foreign domain', 'victim@foreign.example', '550 5.7.1 '],
    ['a foreign domain that ends like ours', 'victim@shop.example.foreign.example', '550 5.7.1 '],
    ['a subdomain we do not host', 'victim@sub.shop.example', '550 5.7.1 '],
    ['a source route to a foreign domain', '@shop.example:victim@foreign.example', '550 5.7.1 Source routes'],
    ['a source route through a foreign host to us', '@foreign.example:support@shop.example', '550 5.7.1 Source routes'],
    ['a source route with several hops', '@a.example,@b.example:victim@foreign.example', '550 5.7.1 Source routes'],
    ['the % hack', 'victim%foreign.example@shop.example', '550 5.7.1 '],
    ['a bang path', 'foreign.example!victim@shop.example', '550 5.7.1 '],
    ['a quoted local part holding an @', '"victim@foreign.example"@shop.example', '5'],
    ['a quoted local part holding a %', '"victim%foreign.example"@shop.example', '550 5.7.1 '],
    ['a quoted local part', '"support"@shop.example', '550 5.7.1 '],
    ['an address literal', 'victim@[192.0.2.1]', '5'],
    ['an address literal of ours', 'support@[127.0.0.1]', '5'],
    ['two @', 'victim@foreign.example@shop.example', '501 '],
    ['the return-path domain without a token', 'support@mr-bounces.shop.example', '550 5.1.1 '],
    ['a bare postmaster', 'postmaster', '550 5.1.1 '],
  ])('refuses %s at RCPT (%s)', async (_name, address, reply) => {
    const before = await stored();
    const client = await RawSmtp.open(h.port);
    await client.hello();
    expect(await client.command('MAIL FROM:<spammer@evil.example>')).toMatch(/^250 /);
    const answer = await client.command(`RCPT TO:<${address}>`);
    expect(answer.startsWith(reply), answer).toBe(true);
    expect(answer).toMatch(/^5\d\d /);
    expect(await client.command('DATA')).toMatch(/^503 /);
    client.close();
    expect(await stored()).toBe(before);
  });

  it('answers pipelined commands in order', async () => {
    const client = await RawSmtp.open(h.port);
    await client.hello();
    client.write('MAIL FROM:<a@sender.example>\r\nRCPT TO:<victim@foreign.example>\r\nRCPT TO:<support@shop.example>\r\nDATA\r\n');
    expect(await client.reply()).toMatch(/^250 /);
    expect(await client.reply()).toMatch(/^550 5\.7\.1 /);
    expect(await client.reply()).toMatch(/^250 /);
    expect(await client.reply()).toMatch(/^354 /);
    client.write('Subject: pipelined\r\n\r\nhi\r\n.\r\nQUIT\r\n');
    expect(await client.reply()).toMatch(/^250 2\.0\.0 /);
    expect(await client.reply()).toMatch(/^221 /);
    client.close();
  });

  it('size: SIZE= over the limit is refused at MAIL, an oversized message after DATA, both with 552', async () => {
    const before = await stored();
    const client = await RawSmtp.open(h.port);
    await client.hello();
    expect(await client.command(`MAIL FROM:<a@sender.example> SIZE=${64 * 1024 + 1}`)).toMatch(/^552 5\.3\.4 /);
    expect(await client.command('MAIL FROM:<a@sender.example>')).toMatch(/^250 /);
    expect(await client.command('RCPT TO:<support@shop.example>')).toMatch(/^250 /);
    const big = `Subject: big\r\n\r\n${'x'.repeat(76)}\r\n`.repeat(1000);
    expect(await client.data(big)).toBe(`552 5.3.4 Message exceeds fixed maximum message size of ${64 * 1024} bytes`);
    // The session goes on.
    expect(await client.command('NOOP')).toMatch(/^250 /);
    client.close();
    expect(await stored()).toBe(before);
  });

  it('too many recipients: 452 4.5.3 for the ones past the limit, the rest is delivered', async () => {
    const client = await RawSmtp.open(h.port);
    await client.hello();
    const result = await client.send('a@sender.example', ['r1@shop.example', 'r2@shop.example', 'r3@shop.example', 'r4@shop.example', 'r5@shop.example', 'r6@shop.example', 'r7@shop.example'], 'Subject: many\r\n\r\nhi\r\n');
    client.close();
    expect(result.rcpt.slice(0, 5)).toEqual(Array(5).fill(expect.stringMatching(/^250 /)));
    expect(result.rcpt.slice(5)).toEqual(Array(2).fill(expect.stringMatching(/^452 4\.5\.3 /)));
    expect(result.data).toMatch(/^250 /);
    const copies = await h.sql.query(`SELECT 1 FROM stored_mail s JOIN folders f ON f.id = s.folder_id WHERE f.mailbox_id = $1 AND s.subject = 'many'`, [catchAll]);
    expect(copies).toHaveLength(1);
  });

  it('over-long lines: a message line over 998 octets and a command over 512 get 500 5.5.2; the session goes on', async () => {
    const ok = await sendOnce(h.port, 'a@sender.example', ['support@shop.example'], `Subject: long\r\n\r\n${'y'.repeat(998)}\r\n`);
    expect(ok.data).toMatch(/^250 /);
    const client = await RawSmtp.open(h.port);
    await client.hello();
    const result = await client.send('a@sender.example', ['support@shop.example'], `Subject: too long\r\n\r\n${'y'.repeat(999)}\r\n`);
    expect(result.data).toBe('500 5.5.2 Line too long (at most 998 octets per line)');
    expect(await client.command(`RCPT TO:<${'a'.repeat(600)}@shop.example>`)).toBe('500 5.5.2 Line too long');
    expect(await client.command('NOOP')).toMatch(/^250 /);
    client.close();
  });

  it('a command line flood (past 8 KB) ends the session', async () => {
    const client = await RawSmtp.open(h.port);
    await client.hello();
    client.write(`NOOP ${'z'.repeat(20_000)}`);
    expect(await client.reply()).toMatch(/^421 /);
    expect(await client.reply()).toBe('');
  });

  it('too many connections from one address: the one past the limit gets 421 4.7.0', async () => {
    const open = [await RawSmtp.open(h.port), await RawSmtp.open(h.port), await RawSmtp.open(h.port)];
    for (const c of open) expect(await c.reply()).toMatch(/^220 /);
    const extra = await RawSmtp.open(h.port);
    expect(await extra.reply()).toBe('421 4.7.0 Too many connections from your address, try again later');
    expect(await extra.reply()).toBe('');
    open.pop()!.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = await RawSmtp.open(h.port);
    expect(await again.reply()).toMatch(/^220 /);
    for (const c of [...open, again]) c.close();
  });

  it('too many errors in one session (guessing addresses): 421 4.7.0 and the connection is closed', async () => {
    const client = await RawSmtp.open(h.port);
    await client.hello();
    expect(await client.command('MAIL FROM:<guess@evil.example>')).toMatch(/^250 /);
    for (let i = 0; i < 5; i++) expect(await client.command(`RCPT TO:<guess${i}@foreign.example>`)).toMatch(/^550 /);
    expect(await client.command('RCPT TO:<guess5@foreign.example>')).toMatch(/^550 /);
    expect(await client.reply()).toBe('421 4.7.0 Too many errors in this session, closing the connection');
    expect(await client.reply()).toBe('');
  });

  it('a silent client is disconnected after the timeout', async () => {
    const client = await RawSmtp.open(h.port);
    await client.hello();
    const started = Date.now();
    expect(await client.reply(5000)).toMatch(/^421 /);
    expect(await client.reply()).toBe('');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('a client that trickles bytes to dodge the idle timeout is cut off when the session is too long', async () => {
    const client = await RawSmtp.open(h.port);
    await client.hello();
    const started = Date.now();
    // Six idle timeouts (1 s here) in all; a byte every 400 ms keeps the idle timer from firing.
    const trickle = setInterval(() => client.write('X'), 400);
    try {
      expect(await client.reply(10_000)).toBe('421 4.4.2 Session too long, closing the connection; please reconnect');
    } finally {
      clearInterval(trickle);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(4500);
    client.close();
  }, 15_000);

  it('a client that goes away in the middle of DATA leaves nothing stored', async () => {
    const before = await stored();
    const client = await RawSmtp.open(h.port);
    await client.hello();
    await client.command('MAIL FROM:<a@sender.example>');
    await client.command('RCPT TO:<support@shop.example>');
    expect(await client.command('DATA')).toMatch(/^354 /);
    client.write('Subject: cut\r\n\r\nhalf a message');
    await new Promise((r) => setTimeout(r, 100));
    client.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(await stored()).toBe(before);
  });
});
