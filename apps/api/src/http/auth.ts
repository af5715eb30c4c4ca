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

const PUBLIC = 'mailroom:public';
const ADMIN = 'mailroom:admin';

/** No API key needed (health, metrics, tracking and unsubscribe links). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC, true);
/** Only admin keys. */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(ADMIN, true);

type AuthedRequest = FastifyRequest & { principal?: Principal; accountId?: string };

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly accounts: AccountService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new DomainError('unauthenticated', 'unauthenticated', 'send your API key as "Authorization: Bearer <key>"');
    const principal = await this.authenticator.authenticate(match[1]);
    if (!principal) throw new DomainError('unauthenticated', 'invalid_api_key', 'the API key is not valid or was revoked');
    if (this.reflector.getAllAndOverride<boolean>(ADMIN, targets) && !principal.admin) {
      throw new DomainError('forbidden', 'admin_required', 'this endpoint needs an admin key');
    }
    request.principal = principal;
    request.accountId = principal.accountId ?? undefined;
    const named = request.headers['x-account-id'];
    if (principal.admin && typeof named === 'string' && named) {
      if (!isUuid(named)) throw new DomainError('invalid', 'invalid_account_id', 'X-Account-Id must be an account id');
      await this.accounts.getAccount(named); // 404 for an account that does not exist
      request.accountId = named;
    }
    return true;
  }
}

/**
 * The account a request acts on: the key's own account; an admin key names one with the
 * X-Account-Id header.
 */
export const AccountId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const request = context.switchToHttp().getRequest<AuthedRequest>();
  if (request.accountId) return request.accountId;
  throw new DomainError('invalid', 'account_required', 'admin keys act on an account named by the X-Account-Id header');
});

/** Whether the request comes from the installation's operator (an admin key). */
export const Operator = createParamDecorator((_: unknown, context: ExecutionContext): boolean => {
  return context.switchToHttp().getRequest<AuthedRequest>().principal?.admin === true;
});
