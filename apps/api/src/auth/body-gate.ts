import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyAuthenticator } from '@mailroom/tenancy';
import type { UserService } from '@mailroom/users';
import { sessionToken, type SessionRequest } from './session-cookie';

/** Sign-in and password forms are small; an anonymous caller gets no more read than this. */
const ANONYMOUS_BODY_LIMIT = 16 * 1024;

/**
 * Runs before a /v1 request's body is read (bodies may be MAX_MESSAGE_SIZE): only a valid API
 * key or a live dashboard session gets one read and parsed. The sign-in endpoints (/v1/auth/*)
 * take small anonymous bodies. The guard checks again once the route is known (scopes, accounts,
 * CSRF, roles); the session found here is kept on the request so it is looked up once.
 */
export function bodyGate(authenticator: ApiKeyAuthenticator, users: UserService) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!request.url.startsWith('/v1/') || request.method === 'GET' || request.method === 'DELETE' || request.method === 'HEAD') return;
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (match) {
      if (await authenticator.authenticate(match[1]!)) return;
      await reply.code(401).send({ error: { code: 'invalid_api_key', message: 'the API key is not valid or was revoked' } });
      return;
    }
    const token = sessionToken(request);
    if (token) {
      const session = await users.session(token);
      (request as SessionRequest).cookieSession = session ? { ...session, token } : null;
      if (session) return;
    }
    if (request.url.startsWith('/v1/auth/')) {
      const length = Number(request.headers['content-length'] ?? NaN);
      if (Number.isFinite(length) && length <= ANONYMOUS_BODY_LIMIT) return;
      await reply.code(413).send({ error: { code: 'payload_too_large', message: `send at most ${ANONYMOUS_BODY_LIMIT} bytes, with a Content-Length` } });
      return;
    }
    await reply.code(401).send({
      error: token ? { code: 'session_expired', message: 'your session has ended; sign in again' } : { code: 'unauthenticated', message: 'send your API key as "Authorization: Bearer <key>"' },
    });
  };
}
