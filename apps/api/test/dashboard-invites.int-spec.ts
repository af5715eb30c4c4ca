import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserRepository } from '@mailroom/db';
import { createSendingAccount, type SendingAccount, type TestDnsServer } from '@mailroom/testing';
import { createUser } from '@mailroom/users';
import { startApiWithDns, type ApiWithDns, type TestApi } from '../../mailroom/test/support/test-api';

/**
 * Invitations and password resets go out through Mailroom itself: from SYSTEM_MAIL_FROM, as
 * messages of the account that owns its domain, and the mailed link sets the password once.
 */
describe('invitations and password resets by mail', () => {
  let dns: TestDnsServer;
  let api: TestApi;
  let system: SendingAccount;
  let pg: Client;
  let setup: ApiWithDns;
  let acmeId: string;

  beforeAll(async () => {
    ({ api, dns, pg } = setup = await startApiWithDns({ SYSTEM_MAIL_FROM: 'Mailroom <noreply@ops.test>', PUBLIC_URL: 'https://mail.ops.test' }));
    system = await createSendingAccount(api, dns, 'ops.test');
    acmeId = (await api.request('POST', '/v1/accounts', { key: api.adminKey, body: { name: 'Acme' } })).body.id;
    const users = api.app.get(UserRepository);
    const owner = await createUser(users, { email: 'owner@acme.test', password: 'owner password 1' });
    await users.setMembership(acmeId, owner.user.id, 'owner');
  });

  afterAll(async () => {
    await setup?.close();
  });

  async function signIn(email: string, password: string) {
    const res = await fetch(`${api.baseUrl}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    return { status: res.status, cookie: res.headers.get('set-cookie')?.split(';')[0] ?? '', body: (await res.json()) as { csrf_token: string } };
  }

  /** The link in the last message the system account sent to `to`, as its recipient reads it. */
  async function mailedLink(to: string): Promise<string> {
    const listed = await api.request('GET', `/v1/messages?recipient=${to}`, { key: system.key });
    expect(listed.body.data.length).toBeGreaterThan(0);
    const { rows } = await pg.query<{ raw: Buffer }>('SELECT raw FROM messages WHERE id = $1', [listed.body.data[0].id]);
    const text = rows[0]!.raw.toString('latin1').replace(/=\r\n/g, '').replace(/=3D/g, '=');
    return /https:\/\/mail\.ops\.test\/set-password\?token=([\w-]+)/.exec(text)![1]!;
  }

  it('mails an invitation from SYSTEM_MAIL_FROM through the sending path; the link sets the password once', async () => {
    const owner = await signIn('owner@acme.test', 'owner password 1');
    const invited = await fetch(`${api.baseUrl}/v1/team/invites`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: owner.cookie, 'x-csrf-token': owner.body.csrf_token, 'x-mailroom-account': acmeId },
      body: JSON.stringify({ email: 'New.Person@Example.test', role: 'member' }),
    });
    expect(invited.status).toBe(201);
    expect(await invited.json()).toMatchObject({ email: 'new.person@example.test', role: 'member', invited: true });
    const listed = await api.request('GET', '/v1/messages?recipient=new.person@example.test', { key: system.key });
    expect(listed.body.data[0]).toMatchObject({ from_address: 'noreply@ops.test', subject: 'Your invitation to Acme on Mailroom', tags: ['mailroom-system'] });
    expect((await signIn('new.person@example.test', 'anything at all')).status).toBe(401);

    const token = await mailedLink('new.person@example.test');
    const set = await api.request('POST', '/v1/auth/set-password', { body: { token, password: 'a new password 1' } });
    expect(set.status).toBe(204);
    const member = await signIn('new.person@example.test', 'a new password 1');
    expect(member.status).toBe(200);
    expect(member.body).toMatchObject({ accounts: [{ id: acmeId, name: 'Acme', role: 'member' }] });
    const again = await api.request('POST', '/v1/auth/set-password', { body: { token, password: 'another password' } });
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('invalid_token');
  });

  it('mails a reset link; using it changes the password and ends the old sessions', async () => {
    const before = await signIn('owner@acme.test', 'owner password 1');
    const asked = await api.request('POST', '/v1/auth/password-reset', { body: { email: 'owner@acme.test' } });
    expect(asked.status).toBe(202);
    const unknown = await api.request('POST', '/v1/auth/password-reset', { body: { email: 'nobody@acme.test' } });
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(asked.body);
    expect((await api.request('GET', '/v1/messages?recipient=nobody@acme.test', { key: system.key })).body.data).toEqual([]);

    const token = await mailedLink('owner@acme.test');
    expect((await api.request('POST', '/v1/auth/set-password', { body: { token, password: 'short' } })).status).toBe(422);
    expect((await api.request('POST', '/v1/auth/set-password', { body: { token, password: 'owner password 2' } })).status).toBe(204);
    const old = await fetch(`${api.baseUrl}/v1/auth/session`, { headers: { cookie: before.cookie } });
    expect(old.status).toBe(401);
    expect((await signIn('owner@acme.test', 'owner password 1')).status).toBe(401);
    expect((await signIn('owner@acme.test', 'owner password 2')).status).toBe(200);
  });

  it('refuses a forged or unknown token', async () => {
    const res = await api.request('POST', '/v1/auth/set-password', { body: { token: 'A'.repeat(43), password: 'whatever password' } });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_token');
  });
});
