import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@mailroom/common';
import type { AppConfig } from '@mailroom/config';
import { SESSION_IDLE_DAYS, csrfMatches, type SessionUser, type UserService } from '@mailroom/users';

export const SESSION_COOKIE = 'mailroom_session';
export const CSRF_HEADER = 'x-csrf-token';
export const ACCOUNT_HEADER = 'x-mailroom-account';

/** What a request learnt from its session cookie (looked up once, by the first hook). */
export interface CookieSession extends SessionUser {
  token: string;
}

export type SessionRequest = FastifyRequest & { cookieSession?: CookieSession | null };

/** The session cookie's token, if the request carries one. */
export function sessionToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return decodeURIComponent(part.slice(eq + 1).trim()) || undefined;
  }
  return undefined;
}

/** The live session behind `token`: the one the body gate already looked up for this request, else looked up now. */
export async function liveSession(request: SessionRequest, users: UserService, token: string): Promise<SessionUser | null> {
  return request.cookieSession !== undefined ? request.cookieSession : users.session(token);
}

/** A write on a session must carry the session's CSRF token in X-CSRF-Token. */
export function requireCsrf(request: FastifyRequest, token: string): void {
  const given = request.headers[CSRF_HEADER];
  if (!csrfMatches(token, typeof given === 'string' && given ? given : undefined)) {
    throw new DomainError('forbidden', 'csrf_failed', 'a signed-in write must carry the X-CSRF-Token header from the session');
  }
}

/** Secure cookies whenever the browser reached us over HTTPS, directly or through a proxy. */
function secure(request: FastifyRequest, config: AppConfig): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  const encrypted = (request.raw.socket as { encrypted?: boolean }).encrypted === true;
  return proto === 'https' || encrypted || (proto === undefined && config.PUBLIC_URL.startsWith('https:'));
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, config: AppConfig, token: string): void {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${SESSION_IDLE_DAYS * 86_400}`];
  if (secure(request, config)) attributes.push('Secure');
  void reply.header('set-cookie', `${SESSION_COOKIE}=${token}; ${attributes.join('; ')}`);
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply, config: AppConfig): void {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=0'];
  if (secure(request, config)) attributes.push('Secure');
  void reply.header('set-cookie', `${SESSION_COOKIE}=; ${attributes.join('; ')}`);
}

export const isSafeMethod = (method: string): boolean => method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
