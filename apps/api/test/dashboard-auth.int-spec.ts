import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserRepository } from '@mailroom/db';
import { createAccountKey } from '@mailroom/testing';
import { createUser } from '@mailroom/users';
import { startTestApi, type TestApi } from '../../mailroom/test/support/test-api';

interface Browser {
  cookie: string;
  csrf: string;
}

/** Dashboard sign-in over HTTP as a browser does it: cookies, CSRF header, account header, roles. */
describe('dashboard users and sessions', () => {
  let api: TestApi;
  let acme: { accountId: string; key: string };
  let globex: { accountId: string; key: string };

  beforeAll(async () => {
    api = await startTestApi();
    acme = await createAccountKey(api, 'Acme');
    globex = await createAccountKey(api, 'Globex');
    const users = api.app.get(UserRepository);
    const owner = await createUser(users, { email: 'Owner@Acme.test', password: 'correct horse battery' });
    await users.setMembership(acme.accountId, owner.user.id, 'owner');
    const viewer = await createUser(users, { email: 'viewer@acme.test', password: 'viewer password 1' });
    await users.setMembership(acme.accountId, viewer.user.id, 'viewer');
    const other = await createUser(users, { email: 'boss@globex.test', password: 'globex password 1' });
    await users.setMembership(globex.accountId, other.user.id, 'owner');
    await createUser(users, { email: 'ops@mailroom.test', password: 'operator password', admin: true });
  });

  afterAll(async () => {
    await api?.close();
  });

  async function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
    const response = await fetch(api.baseUrl + path, {
      method,
      headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  async function signIn(email: string, password: string, headers: Record<string, string> = {}): Promise<Browser & { body: any }> {
    const res = await call('POST', '/v1/auth/login', { body: { email, password }, headers });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    return { cookie, csrf: res.body.csrf_token, body: res.body };
  }

  const as = (browser: Browser, accountId?: string, csrf = true) => ({
    cookie: browser.cookie,
    ...(csrf ? { 'x-csrf-token': browser.csrf } : {}),
    ...(accountId ? { 'x-mailroom-account': accountId } : {}),
  });

  it('signs in with email and password: an HttpOnly, SameSite=Lax cookie, the accounts and a CSRF token', async () => {
    const res = await call('POST', '/v1/auth/login', { body: { email: 'owner@acme.test', password: 'correct horse battery' } });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^mailroom_session=[\w-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).not.toContain('Secure');
    expect(res.body).toEqual({
      user: { id: expect.any(String), email: 'owner@acme.test', admin: false },
      accounts: [{ id: acme.accountId, name: 'Acme', role: 'owner' }],
      csrf_token: expect.any(String),
    });
  });

  it('marks the cookie Secure behind an HTTPS proxy', async () => {
    const res = await call('POST', '/v1/auth/login', { body: { email: 'owner@acme.test', password: 'correct horse battery' }, headers: { 'x-forwarded-proto': 'https' } });
    expect(res.headers.get('set-cookie')).toContain('Secure');
  });

  it('refuses a wrong password and an unknown user alike', async () => {
    const wrong = await call('POST', '/v1/auth/login', { body: { email: 'owner@acme.test', password: 'wrong password' } });
    const unknown = await call('POST', '/v1/auth/login', { body: { email: 'nobody@acme.test', password: 'wrong password' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('throttles failed sign-ins: after 10 failures even the right password is refused with 429', async () => {
    const body = (password: string) => ({ body: { email: 'boss@globex.test', password } });
    for (let i = 0; i < 10; i++) expect((await call('POST', '/v1/auth/login', body(`guess ${i}`))).status).toBe(401);
    const right = await call('POST', '/v1/auth/login', body('globex password 1'));
    expect(right.status).toBe(429);
    expect(right.body.error.code).toBe('too_many_attempts');
  });

  it('acts on the chosen account with the session cookie, reads and writes', async () => {
    const owner = await signIn('owner@acme.test', 'correct horse battery');
    const session = await call('GET', '/v1/auth/session', { headers: as(owner) });
    expect(session.status).toBe(200);
    expect(session.body.csrf_token).toBe(owner.csrf);
    const created = await call('POST', '/v1/smtp-credentials', { body: { username: 'acme-app' }, headers: as(owner, acme.accountId) });
    expect(created.status).toBe(201);
    const listed = await call('GET', '/v1/smtp-credentials', { headers: as(owner, acme.accountId, false) });
    expect(listed.body.map((c: { username: string }) => c.username)).toEqual(['acme-app']);
  });

  it('refuses a cookie-authenticated write without the CSRF token, or with another session\'s', async () => {
    const owner = await signIn('owner@acme.test', 'correct horse battery');
    const viewer = await signIn('viewer@acme.test', 'viewer password 1');
    const none = await call('POST', '/v1/smtp-credentials', { body: {}, headers: as(owner, acme.accountId, false) });
    expect(none.status).toBe(403);
    expect(none.body.error.code).toBe('csrf_failed');
    const foreign = await call('POST', '/v1/smtp-credentials', { body: {}, headers: { ...as(owner, acme.accountId, false), 'x-csrf-token': viewer.csrf } });
    expect(foreign.status).toBe(403);
    const logout = await call('POST', '/v1/auth/logout', { headers: as(owner, undefined, false) });
    expect(logout.status).toBe(403);
  });

  it('gives viewers 403 on every write, and reads', async () => {
    const viewer = await signIn('viewer@acme.test', 'viewer password 1');
    expect(viewer.body.accounts).toEqual([{ id: acme.accountId, name: 'Acme', role: 'viewer' }]);
    for (const [method, path, body] of [
      ['POST', '/v1/domains', { name: 'acme.test' }],
      ['POST', '/v1/api-keys', {}],
      ['POST', '/v1/suppressions', { email: 'x@example.test' }],
      ['DELETE', '/v1/suppressions/x@example.test', undefined],
      ['POST', '/v1/team/invites', { email: 'x@example.test', role: 'owner' }],
    ] as const) {
      const res = await call(method, path, { body, headers: as(viewer, acme.accountId) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe('read_only');
    }
    expect((await call('GET', '/v1/domains', { headers: as(viewer, acme.accountId) })).status).toBe(200);
  });

  it('keeps a user to their own accounts; admin users see every account', async () => {
    const owner = await signIn('owner@acme.test', 'correct horse battery');
    const res = await call('GET', '/v1/smtp-credentials', { headers: as(owner, globex.accountId) });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('not_a_member');
    const noAccount = await call('GET', '/v1/smtp-credentials', { headers: as(owner) });
    expect(noAccount.status).toBe(422);
    const admin = await signIn('ops@mailroom.test', 'operator password');
    expect(admin.body.accounts.map((a: { name: string }) => a.name)).toEqual(['Acme', 'Globex']);
    expect((await call('GET', '/v1/smtp-credentials', { headers: as(admin, globex.accountId) })).status).toBe(200);
    expect((await call('POST', '/v1/accounts', { body: { name: 'Initech' }, headers: as(admin) })).status).toBe(201);
    expect((await call('POST', '/v1/accounts', { body: { name: 'Initech' }, headers: as(owner, acme.accountId) })).status).toBe(403);
  });

  it('signs out one session, or every session of the user', async () => {
    const first = await signIn('owner@acme.test', 'correct horse battery');
    const second = await signIn('owner@acme.test', 'correct horse battery');
    const third = await signIn('owner@acme.test', 'correct horse battery');
    const out = await call('POST', '/v1/auth/logout', { headers: as(first) });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^mailroom_session=; .*Max-Age=0/);
    expect((await call('GET', '/v1/auth/session', { headers: as(first) })).status).toBe(401);
    expect((await call('GET', '/v1/auth/session', { headers: as(second) })).status).toBe(200);
    expect((await call('POST', '/v1/auth/logout-everywhere', { headers: as(second) })).status).toBe(204);
    for (const browser of [second, third]) {
      const res = await call('GET', '/v1/domains', { headers: as(browser, acme.accountId) });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('session_expired');
    }
  });

  it('answers clearly when mail is not configured for invitations and resets', async () => {
    const owner = await signIn('owner@acme.test', 'correct horse battery');
    const invite = await call('POST', '/v1/team/invites', { body: { email: 'new@acme.test', role: 'member' }, headers: as(owner, acme.accountId) });
    expect(invite.status).toBe(503);
    expect(invite.body.error.code).toBe('mail_not_configured');
    expect(invite.body.error.message).toContain('SYSTEM_MAIL_FROM');
    const reset = await call('POST', '/v1/auth/password-reset', { body: { email: 'owner@acme.test' } });
    expect(reset.status).toBe(503);
  });

  it('lists the team, changes roles, keeps the last owner', async () => {
    const owner = await signIn('owner@acme.test', 'correct horse battery');
    const team = await call('GET', '/v1/team', { headers: as(owner, acme.accountId) });
    expect(team.body.data.map((m: { email: string; role: string }) => `${m.email}:${m.role}`)).toEqual(['owner@acme.test:owner', 'viewer@acme.test:viewer']);
    const ownerId = team.body.data[0].user_id;
    const demote = await call('PATCH', `/v1/team/${ownerId}`, { body: { role: 'member' }, headers: as(owner, acme.accountId) });
    expect(demote.status).toBe(409);
    expect(demote.body.error.code).toBe('last_owner');
  });

  it('refuses an anonymous oversized body before reading it', async () => {
    const res = await call('POST', '/v1/auth/login', { body: { email: 'x'.repeat(20_000), password: 'x' } });
    expect(res.status).toBe(413);
  });
});
