import {
  SetMetadata,
  createParamDecorator,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError, isUuid } from '@mailroom/common';
import { AccountService, ApiKeyAuthenticator, type Principal } from '@mailroom/tenancy';
import { UserService, canWrite, type Role, type UserView } from '@mailroom/users';
import { ACCOUNT_HEADER, isSafeMethod, liveSession, requireCsrf, sessionToken, type CookieSession } from '../auth/session-cookie';

const PUBLIC = 'mailroom:public';
const ADMIN = 'mailroom:admin';

/** No API key needed (health, metrics, tracking and unsubscribe links). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC, true);
/** Only admin keys. */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(ADMIN, true);

type AuthedRequest = FastifyRequest & {
  principal?: Principal;
  accountId?: string;
  /** The caller's role in accountId: API keys act as owners; signed-in users have theirs. */
  role?: Role;
  user?: UserView;
  cookieSession?: CookieSession | null;
};

/**
 * Who is calling: an API key (`Authorization: Bearer`), or a person signed in to the dashboard
 * (the session cookie, with the account chosen in `X-Mailroom-Account` among their memberships).
 * A cookie-authenticated write must carry the session's CSRF token in `X-CSRF-Token`, and a
 * viewer may not write at all.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly accounts: AccountService,
    private readonly users: UserService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      const token = sessionToken(request);
      if (token) return this.sessionGuard(request, token, this.reflector.getAllAndOverride<boolean>(ADMIN, targets) === true);
      throw new DomainError('unauthenticated', 'unauthenticated', 'send your API key as "Authorization: Bearer <key>", or sign in');
    }
    const principal = await this.authenticator.authenticate(match[1]);
    if (!principal) throw new DomainError('unauthenticated', 'invalid_api_key', 'the API key is not valid or was revoked');
    if (this.reflector.getAllAndOverride<boolean>(ADMIN, targets) && !principal.admin) {
      throw new DomainError('forbidden', 'admin_required', 'this endpoint needs an admin key');
    }
    request.principal = principal;
    request.accountId = principal.accountId ?? undefined;
    request.role = 'owner';
    const named = request.headers['x-account-id'];
    if (principal.admin && typeof named === 'string' && named) {
      if (!isUuid(named)) throw new DomainError('invalid', 'invalid_account_id', 'X-Account-Id must be an account id');
      await this.accounts.getAccount(named); // 404 for an account that does not exist
      request.accountId = named;
    }
    return true;
  }

  private async sessionGuard(request: AuthedRequest, token: string, adminOnly: boolean): Promise<boolean> {
    const session = await liveSession(request, this.users, token);
    if (!session) throw new DomainError('unauthenticated', 'session_expired', 'your session has ended; sign in again');
    if (!isSafeMethod(request.method)) requireCsrf(request, token);
    if (adminOnly && !session.user.admin) throw new DomainError('forbidden', 'admin_required', 'this needs an admin user');
    request.user = session.user;
    request.principal = { keyId: `session:${session.sessionId}`, accountId: null, admin: session.user.admin };
    const named = headerValue(request, ACCOUNT_HEADER);
    if (named) {
      if (!isUuid(named)) throw new DomainError('invalid', 'invalid_account_id', 'X-Mailroom-Account must be an account id');
      request.role = await this.users.roleIn(session.user, named);
      request.accountId = named;
      if (!isSafeMethod(request.method) && !canWrite(request.role)) {
        throw new DomainError('forbidden', 'read_only', 'viewers can look but not change anything');
      }
    } else if (!isSafeMethod(request.method) && !session.user.admin) {
      // Writes outside an account (none exist for members yet) are the operator's.
      throw new DomainError('forbidden', 'account_required', 'name the account in the X-Mailroom-Account header');
    }
    return true;
  }
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value ? value : undefined;
}

/**
 * The account a request acts on: the key's own account; an admin key names one with the
 * X-Account-Id header, a signed-in user with X-Mailroom-Account.
 */
export const AccountId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const request = context.switchToHttp().getRequest<AuthedRequest>();
  if (request.accountId) return request.accountId;
  if (request.user) throw new DomainError('invalid', 'account_required', 'name the account in the X-Mailroom-Account header');
  throw new DomainError('invalid', 'account_required', 'admin keys act on an account named by the X-Account-Id header');
});

/** Whether the request comes from the installation's operator (an admin key or admin user). */
export const Operator = createParamDecorator((_: unknown, context: ExecutionContext): boolean => {
  return context.switchToHttp().getRequest<AuthedRequest>().principal?.admin === true;
});

/** The caller's role in the account it acts on (API keys: owner). */
export const CallerRole = createParamDecorator((_: unknown, context: ExecutionContext): Role => {
  return context.switchToHttp().getRequest<AuthedRequest>().role ?? 'owner';
});
