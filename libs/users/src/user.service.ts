import { Inject, Injectable } from '@nestjs/common';
import { DomainError, notFound } from '@mailroom/common';
import { parseAddress } from '@mailroom/compose';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { generatePassword, hashPassword, sha256Hex, verifyPassword } from '@mailroom/crypto';
import { AccountRepository, SessionRepository, UserRepository, type User } from '@mailroom/db';
import { AuthFailureLimiter } from '@mailroom/ratelimit';
import { RedisConnection } from '@mailroom/platform';
import { LOGGER, type Logger } from '@mailroom/logger';
import { ROLES, canManageTeam, type Role } from './roles';
import { csrfTokenFor, newToken } from './session-token';
import { SystemMailer } from './system-mailer';

export const MIN_USER_PASSWORD = 10;
export const MAX_USER_PASSWORD = 256;
/** A session lasts this long after it was last used. */
export const SESSION_IDLE_DAYS = 14;
const DAY_MS = 86_400_000;
/** Sliding the expiry is a write: at most once a minute per session. */
const TOUCH_EVERY_MS = 60_000;
const INVITE_DAYS = 7;
const RESET_HOURS = 1;
/** Admin users choose among at most this many accounts in one listing. */
const ADMIN_ACCOUNTS = 1000;

export interface UserView {
  id: string;
  email: string;
  admin: boolean;
}

export interface AccountChoice {
  id: string;
  name: string;
  role: Role;
}

export interface SignedIn {
  token: string;
  csrfToken: string;
  user: UserView;
  accounts: AccountChoice[];
}

export interface SessionUser {
  sessionId: string;
  user: UserView;
}

const view = (user: User): UserView => ({ id: user.id, email: user.email, admin: user.admin });

function checkUserPassword(password: string): void {
  if (password.length < MIN_USER_PASSWORD || password.length > MAX_USER_PASSWORD) {
    throw new DomainError('invalid', 'weak_password', `password must be ${MIN_USER_PASSWORD} to ${MAX_USER_PASSWORD} characters`);
  }
}

const normalizeEmail = (email: string): string => parseAddress(email.trim(), 'email').address.toLowerCase();

/** A hash to verify against when the user does not exist, so both cases take as long. */
let decoy: Promise<string> | undefined;

/**
 * Dashboard users: who they are, their sessions, their roles in accounts, invitations and
 * password resets. Failed logins are counted like the relay's and IMAP's (Redis, per user name
 * and source), and refused unchecked once over the limit.
 */
@Injectable()
export class UserService {
  private readonly limiter: AuthFailureLimiter;
  private readonly resetLimiter: AuthFailureLimiter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly accounts: AccountRepository,
    private readonly mailer: SystemMailer,
    @Inject(RedisConnection) redis: RedisConnection,
    @Inject(LOGGER) logger: Logger,
  ) {
    const log = logger.child({ component: 'dashboard-login' });
    const onError = (error: unknown, what: string) => log.warn({ err: error }, what);
    this.limiter = new AuthFailureLimiter(redis.client, redis.key('dashboard'), { perUserAndSource: 10, perSource: 30, perUser: 100, windowSeconds: 900 }, onError);
    // Each reset request counts as a "failure": a few per address and hour, so nobody floods a mailbox.
    this.resetLimiter = new AuthFailureLimiter(redis.client, redis.key('dashboard-reset'), { perUserAndSource: 5, perSource: 20, perUser: 10, windowSeconds: 3600 }, onError);
  }

  async login(emailGiven: string, password: string, client: { ip: string; userAgent: string | null }): Promise<SignedIn> {
    const email = emailGiven.trim().toLowerCase();
    if (await this.limiter.blocked(client.ip, email)) {
      throw new DomainError('rate_limited', 'too_many_attempts', 'too many failed sign-ins; wait a few minutes and try again');
    }
    const user = await this.users.findByEmail(email);
    const ok = user?.passwordHash ? await verifyPassword(password, user.passwordHash) : (await verifyPassword(password, await (decoy ??= hashPassword('decoy password'))), false);
    if (!user || !ok) {
      await this.limiter.failed(client.ip, email);
      throw new DomainError('unauthenticated', 'invalid_credentials', 'wrong email or password');
    }
    await this.limiter.succeeded(client.ip, email);
    const token = newToken();
    await this.sessions.create({ userId: user.id, tokenHash: sha256Hex(token), expiresAt: new Date(Date.now() + SESSION_IDLE_DAYS * DAY_MS), ip: client.ip, userAgent: client.userAgent?.slice(0, 500) ?? null });
    return { token, csrfToken: csrfTokenFor(token), user: view(user), accounts: await this.accountsFor(view(user)) };
  }

  /** The signed-in user behind a session cookie's token, or null (unknown, expired, signed out). */
  async session(token: string): Promise<SessionUser | null> {
    if (!token || token.length > 100) return null;
    const session = await this.sessions.findLive(sha256Hex(token));
    if (!session) return null;
    if (Date.now() - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
      await this.sessions.touch(session.id, new Date(Date.now() + SESSION_IDLE_DAYS * DAY_MS));
    }
    return { sessionId: session.id, user: view(session.user) };
  }

  async logout(sessionId: string): Promise<void> {
    await this.sessions.delete(sessionId);
  }

  /** Ends every session of the user, this one included. */
  async logoutEverywhere(userId: string): Promise<number> {
    return this.sessions.deleteForUser(userId);
  }

  async accountsFor(user: UserView): Promise<AccountChoice[]> {
    if (user.admin) return (await this.users.allAccounts(ADMIN_ACCOUNTS)).map((a) => ({ ...a, role: 'owner' as const }));
    return (await this.users.memberships(user.id)).map((m) => ({ id: m.accountId, name: m.accountName, role: m.role }));
  }

  /**
   * The user's role in an account: admin users act as owners of every account. 404 for an
   * account that does not exist, 403 for one the user is no member of.
   */
  async roleIn(user: UserView, accountId: string): Promise<Role> {
    if (user.admin) {
      if (!(await this.accounts.find(accountId))) throw notFound('account');
      return 'owner';
    }
    const role = await this.users.role(user.id, accountId);
    if (!role) throw new DomainError('forbidden', 'not_a_member', 'you are not a member of this account');
    return role;
  }

  // ------------------------------------------------------------------ team

  async team(accountId: string) {
    return this.users.team(accountId);
  }

  /**
   * Adds a person to the account with a role and mails them: a link to choose a password when
   * they have no login yet, or word that they were added. Mail must be configured first.
   */
  async invite(accountId: string, actorRole: Role, emailGiven: string, role: Role): Promise<{ userId: string; email: string; role: Role; invited: boolean }> {
    this.requireOwner(actorRole);
    await this.mailer.ensureConfigured();
    const email = normalizeEmail(emailGiven);
    const account = await this.accounts.find(accountId);
    if (!account) throw notFound('account');
    const user = (await this.users.findByEmail(email)) ?? (await this.users.create({ email, passwordHash: null, admin: false }));
    await this.users.setMembership(accountId, user.id, role);
    const base = this.config.PUBLIC_URL.replace(/\/$/, '');
    if (user.passwordHash) {
      await this.mailer.send({
        to: email,
        subject: `You were added to ${account.name} on Mailroom`,
        text: `You can now open ${account.name} (${role}) in the Mailroom dashboard: ${base}/`,
        html: `<p>You can now open <b>${escapeHtml(account.name)}</b> (${role}) in the <a href="${base}/">Mailroom dashboard</a>.</p>`,
      });
      return { userId: user.id, email, role, invited: false };
    }
    const link = `${base}/set-password?token=${await this.issueToken(user.id, 'invite', INVITE_DAYS * DAY_MS)}`;
    await this.mailer.send({
      to: email,
      subject: `Your invitation to ${account.name} on Mailroom`,
      text: `You were invited to ${account.name} (${role}). Choose a password within ${INVITE_DAYS} days: ${link}`,
      html: `<p>You were invited to <b>${escapeHtml(account.name)}</b> (${role}).</p><p><a href="${link}">Choose a password</a> within ${INVITE_DAYS} days.</p>`,
    });
    return { userId: user.id, email, role, invited: true };
  }

  async setRole(accountId: string, actorRole: Role, userId: string, role: Role): Promise<void> {
    this.requireOwner(actorRole);
    const current = await this.users.role(userId, accountId);
    if (!current) throw notFound('member');
    if (current === 'owner' && role !== 'owner') await this.keepAnOwner(accountId);
    await this.users.setMembership(accountId, userId, role);
  }

  async removeMember(accountId: string, actorRole: Role, userId: string): Promise<void> {
    this.requireOwner(actorRole);
    const current = await this.users.role(userId, accountId);
    if (!current) throw notFound('member');
    if (current === 'owner') await this.keepAnOwner(accountId);
    await this.users.removeMembership(accountId, userId);
  }

  // ------------------------------------------------------------------ passwords

  /**
   * Mails a reset link when the address belongs to a user. Answers the same either way, so the
   * form tells nobody which addresses have logins.
   */
  async requestPasswordReset(emailGiven: string, ip: string): Promise<void> {
    await this.mailer.ensureConfigured();
    const email = emailGiven.trim().toLowerCase();
    if (await this.resetLimiter.blocked(ip, email)) throw new DomainError('rate_limited', 'too_many_requests', 'too many reset requests; try again later');
    await this.resetLimiter.failed(ip, email);
    const user = await this.users.findByEmail(email);
    if (!user) return;
    const link = `${this.config.PUBLIC_URL.replace(/\/$/, '')}/set-password?token=${await this.issueToken(user.id, 'reset', RESET_HOURS * 3_600_000)}`;
    await this.mailer.send({
      to: email,
      subject: 'Reset your Mailroom password',
      text: `Someone asked to reset the password of ${email}. Choose a new one within an hour: ${link}\nIf it was not you, ignore this mail.`,
      html: `<p>Someone asked to reset the password of ${escapeHtml(email)}.</p><p><a href="${link}">Choose a new password</a> within an hour. If it was not you, ignore this mail.</p>`,
    });
  }

  /** Sets the password from a mailed link (invitation or reset) and ends the user's other sessions. */
  async setPasswordWithToken(token: string, password: string): Promise<void> {
    checkUserPassword(password);
    const used = token && token.length <= 100 ? await this.users.useToken(sha256Hex(token)) : null;
    if (!used) throw new DomainError('invalid', 'invalid_token', 'this link is not valid: it was used already or has expired');
    await this.users.setPassword(used.userId, await hashPassword(password));
    await this.sessions.deleteForUser(used.userId);
  }

  async changePassword(userId: string, current: string, next: string): Promise<void> {
    checkUserPassword(next);
    const user = await this.users.findById(userId);
    if (!user?.passwordHash || !(await verifyPassword(current, user.passwordHash))) {
      throw new DomainError('invalid', 'wrong_password', 'the current password is wrong');
    }
    await this.users.setPassword(userId, await hashPassword(next));
  }

  private async issueToken(userId: string, kind: 'invite' | 'reset', ttlMs: number): Promise<string> {
    const token = newToken();
    await this.users.createToken({ tokenHash: sha256Hex(token), userId, kind, expiresAt: new Date(Date.now() + ttlMs) });
    return token;
  }

  private requireOwner(role: Role): void {
    if (!canManageTeam(role)) throw new DomainError('forbidden', 'owner_required', 'only owners change the team');
  }

  private async keepAnOwner(accountId: string): Promise<void> {
    if ((await this.users.countOwners(accountId)) <= 1) throw new DomainError('conflict', 'last_owner', 'an account keeps at least one owner');
  }
}

/**
 * Creates a user with a password (generated when none is given, and returned so the operator can
 * pass it on). A function over the repository alone: the CLI has no Redis or sending path.
 */
export async function createUser(users: UserRepository, input: { email: string; password?: string; admin?: boolean }): Promise<{ user: UserView; password: string }> {
  const email = normalizeEmail(input.email);
  const password = input.password ?? generatePassword(20);
  checkUserPassword(password);
  if (await users.findByEmail(email)) throw new DomainError('conflict', 'user_exists', `a user ${email} exists`);
  const user = await users.create({ email, passwordHash: await hashPassword(password), admin: input.admin === true });
  return { user: view(user), password };
}

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
