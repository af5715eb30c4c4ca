import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sql } from '@mailroom/db';
import { createAccountKey, freePort, publishRecords, TestDnsServer, type DnsRecordDto as DnsRecord } from '@mailroom/testing';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';
import { InboundModule } from '../src/inbound/inbound.module';
import { InboundServer } from '../src/inbound/inbound-server';
import { sendOnce } from './inbound-harness';

/**
 * The inbound MX receives mail only for domains whose ownership was proven in DNS: a domain an
 * account merely added (a squatter's, or the owner's before verifying) gets 550 like any unknown
 * domain, mailboxes and catch-alls included. API and MX in one process, over real sockets.
 */
describe('inbound MX: only domains whose ownership is proven receive mail', () => {
  let dns: TestDnsServer;
  let api: TestApi;
  let port: number;
  let n = 0;

  beforeAll(async () => {
    dns = await TestDnsServer.start();
    api = await startTestApi({ DNS_SERVERS: dns.address, SMTP_INBOUND_PORT: String(await freePort()) }, { modules: [InboundModule] });
    port = api.app.get(InboundServer).port;
  });

  afterAll(async () => {
    await api?.close();
    await dns?.close();
  });

  const account = async () => (await createAccountKey(api, `account ${++n}`)).key;

  /** A domain with a mailbox that is also its catch-all, as the attacker in the issue set it up. */
  async function domainWithCatchAll(key: string, name: string) {
    const domain = await api.request('POST', '/v1/domains', { key, body: { name } });
    expect(domain.status, JSON.stringify(domain.body)).toBe(201);
    const box = await api.request('POST', '/v1/mailboxes', { key, body: { address: `inbox@${name}`, password: 'a long password' } });
    expect(box.status, JSON.stringify(box.body)).toBe(201);
    const routed = await api.request('PATCH', `/v1/domains/${domain.body.id}`, { key, body: { catch_all_mailbox_id: box.body.id } });
    expect(routed.status).toBe(200);
    return { domain: domain.body as { id: string; dns: DnsRecord[]; ownership: { record: DnsRecord } }, mailboxId: box.body.id as string };
  }

  const inbox = async (mailboxId: string) =>
    (await api.app.get(Sql).query<{ subject: string }>(`SELECT s.subject FROM stored_mail s JOIN folders f ON f.id = s.folder_id WHERE f.mailbox_id = $1 AND f.name = 'INBOX'`, [mailboxId])).map((r) => r.subject);

  const message = (to: string, subject: string) => `From: someone@example.test\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nhello\r\n`;

  it("refuses mail for a squatter's unverified registration; the real owner verifies and then receives it", async () => {
    const squatter = await account();
    const owner = await account();
    const squatted = await domainWithCatchAll(squatter, 'victim-corp.test');

    const refused = await sendOnce(port, 'someone@example.test', ['abuse@victim-corp.test', 'inbox@victim-corp.test'], message('abuse@victim-corp.test', 'to the squatter'));
    expect(refused.rcpt).toEqual([expect.stringMatching(/^550 5\.[17]\.1 /), expect.stringMatching(/^550 5\.[17]\.1 /)]);
    expect(refused.data).toBeUndefined();
    expect(await inbox(squatted.mailboxId)).toEqual([]);

    // The real owner is not blocked by it: adds the name, publishes its records, verifies.
    const created = await api.request('POST', '/v1/domains', { key: owner, body: { name: 'victim-corp.test' } });
    expect(created.status).toBe(201);
    const box = await api.request('POST', '/v1/mailboxes', { key: owner, body: { address: 'abuse@victim-corp.test', password: 'a long password' } });
    expect(box.status, JSON.stringify(box.body)).toBe(201);
    // Not proven yet: still refused.
    expect((await sendOnce(port, 'someone@example.test', ['abuse@victim-corp.test'], message('abuse@victim-corp.test', 'too early'))).rcpt[0]).toMatch(/^550 5\.[17]\.1 /);

    dns.add({ type: 'TXT', name: created.body.ownership.record.name, value: created.body.ownership.record.value });
    const verified = await api.request('POST', `/v1/domains/${created.body.id}/verify`, { key: owner });
    expect(verified.body.verification.ownership).toBe(true);

    const accepted = await sendOnce(port, 'someone@example.test', ['abuse@victim-corp.test'], message('abuse@victim-corp.test', 'to the owner'));
    expect(accepted.rcpt).toEqual([expect.stringMatching(/^250 /)]);
    expect(accepted.data).toMatch(/^250 /);
    expect(await inbox(box.body.id)).toEqual(['to the owner']);
    expect(await inbox(squatted.mailboxId)).toEqual([]);
  });

  it('refuses mail for an unverified domain named like the installation, which cannot be registered anyway', async () => {
    const key = await account();
    const reserved = await api.request('POST', '/v1/domains', { key, body: { name: api.config.MAIL_HOSTNAME } });
    expect(reserved.status).toBe(422);
    expect(reserved.body.error.code).toBe('reserved_name');
    const rcpt = await sendOnce(port, 'someone@example.test', [`abuse@${api.config.MAIL_HOSTNAME}`], message('abuse', 'x'));
    expect(rcpt.rcpt[0]).toMatch(/^550 5\.[17]\.1 /);
  });

  it('keeps receiving for a proven domain whose catch-all takes unknown local parts', async () => {
    const key = await account();
    const { domain, mailboxId } = await domainWithCatchAll(key, 'proven.test');
    expect((await sendOnce(port, 'someone@example.test', ['anyone@proven.test'], message('anyone@proven.test', 'before'))).rcpt[0]).toMatch(/^550 /);
    publishRecords(dns, domain.dns);
    // DKIM proves ownership too: its key was made for this registration alone.
    const verified = await api.request('POST', `/v1/domains/${domain.id}/verify`, { key });
    expect(verified.body).toMatchObject({ verified: true, verification: { ownership: true } });
    const sent = await sendOnce(port, 'someone@example.test', ['anyone@proven.test'], message('anyone@proven.test', 'after'));
    expect(sent.rcpt[0]).toMatch(/^250 /);
    expect(await inbox(mailboxId)).toEqual(['after']);
  });
});
