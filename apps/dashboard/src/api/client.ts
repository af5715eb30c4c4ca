import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

/** What the API answered when it refused: its `{error:{code,message}}` and the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Headers every call carries: the chosen account, and on writes the session's CSRF token. */
const context = { csrfToken: '', accountId: '' };

export function setCsrfToken(token: string): void {
  context.csrfToken = token;
}

export function setAccount(accountId: string): void {
  context.accountId = accountId;
}

/** The headers a write needs outside the typed client (an upload with progress). */
export function csrfHeaders(): Record<string, string> {
  return { ...(context.accountId ? { 'X-Mailroom-Account': context.accountId } : {}), ...(context.csrfToken ? { 'X-CSRF-Token': context.csrfToken } : {}) };
}

const headers: Middleware = {
  onRequest({ request }) {
    if (context.accountId) request.headers.set('X-Mailroom-Account', context.accountId);
    if (request.method !== 'GET' && request.method !== 'HEAD' && context.csrfToken) request.headers.set('X-CSRF-Token', context.csrfToken);
    return request;
  },
};

/**
 * The one way the dashboard talks to the server: the public /v1 API, typed from its own OpenAPI
 * document (schema.d.ts is generated from it), with the session cookie the browser keeps.
 */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(headers);

/** The data of an answer, or an ApiError with the API's code and message. */
export function data<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const body = result.error as { error?: { code?: string; message?: string } } | undefined;
  throw new ApiError(result.response.status, body?.error?.code ?? 'error', body?.error?.message ?? `the server answered ${result.response.status}`);
}

/** Whether a value is an API error with one of these statuses. */
export const isApiError = (error: unknown, ...statuses: number[]): error is ApiError =>
  error instanceof ApiError && (statuses.length === 0 || statuses.includes(error.status));
