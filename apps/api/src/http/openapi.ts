import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCookieAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, type OpenAPIObject } from '@nestjs/swagger';
import { z, type ZodObject, type ZodRawShape, type ZodType, type ZodTypeDef } from 'zod';
import { jsonSchema } from './zod';

type Schema = ZodType<unknown, ZodTypeDef, unknown>;

/** Every error answer: `{ error: { code, message } }`. */
export const errorSchema = z.object({
  error: z.object({ code: z.string().describe('stable, machine-readable: domain_exists, invalid_request, ...'), message: z.string(), details: z.record(z.unknown()).optional() }),
});

/** Timestamps leave the API as ISO 8601 strings. */
export const timestamp = z.string().datetime();

const ERRORS: Record<number, string> = {
  400: 'Malformed request: bad JSON, wrong types, unknown fields, NUL characters (`invalid_request` names the field)',
  401: 'No valid API key or session',
  403: 'Not allowed: an admin endpoint, a viewer writing, a missing CSRF token, or an account the user is no member of',
  404: 'Not found in this account',
  409: 'Conflicts with what exists',
  413: 'Too large',
  422: 'Well-formed but breaks a rule',
  429: 'Rate limited',
  503: 'A dependency (DNS, mail) cannot be used now',
};

export interface ApiDocOptions {
  summary: string;
  description?: string;
  /** The JSON body, validated with this same schema. */
  body?: Schema;
  /** Query parameters, validated with this same schema (an object of optional or defaulted fields). */
  query?: ZodObject<ZodRawShape>;
  /** The success answer's body; omit for 204 No Content. */
  response?: Schema;
  /** The answer is a CSV file (text/csv) rather than JSON. */
  csv?: boolean;
  /** The success status (defaults: 200 with a response, 204 without). Must match the route's @HttpCode. */
  status?: number;
  /** Error statuses beyond those implied (401/403 unless public, 400 with a body or query, 404 with a path id). */
  errors?: number[];
  /** No API key or session needed. */
  public?: boolean;
}

/**
 * One decorator for a route's whole OpenAPI description, built from the zod schemas the route
 * validates with: summary, body, query, the success answer, the error answers (all
 * `{error:{code,message}}`) and the security schemes. Every operation of the API uses it, so
 * the document is complete enough for Redocly's recommended lint and for the dashboard's
 * generated client. See README "OpenAPI".
 */
export function ApiDoc(options: ApiDocOptions): MethodDecorator {
  const decorators: MethodDecorator[] = [ApiOperation({ summary: options.summary, description: options.description })];
  if (options.body) decorators.push(ApiBody({ schema: jsonSchema(options.body), required: true }));
  for (const [name, field] of Object.entries(options.query?.shape ?? {})) {
    const schema = jsonSchema(field as Schema);
    decorators.push(ApiQuery({ name, required: !(field as Schema).isOptional(), schema, description: (field as Schema).description }));
  }
  const status = options.status ?? (options.response || options.csv ? 200 : 204);
  if (options.csv) decorators.push(ApiProduces('text/csv'), ApiResponse({ status, description: 'A CSV file', content: { 'text/csv': { schema: { type: 'string' } } } }));
  else if (options.response) decorators.push(ApiResponse({ status, description: 'Success', schema: jsonSchema(options.response) }));
  else decorators.push(ApiResponse({ status, description: 'Done (no content)' }));
  const errors = new Set(options.errors ?? []);
  if (!options.public) [401, 403].forEach((s) => errors.add(s));
  if (options.body || options.query) errors.add(400);
  for (const code of [...errors].sort()) {
    decorators.push(ApiResponse({ status: code, description: ERRORS[code] ?? 'Error', schema: { $ref: '#/components/schemas/Error' } }));
  }
  if (!options.public) decorators.push(ApiBearerAuth('bearer'), ApiCookieAuth('session'));
  return applyDecorators(...decorators);
}

const TAGS: Record<string, string> = {
  operations: 'Health and metrics',
  auth: 'Dashboard sign-in: session cookie and CSRF token',
  team: 'Who may open an account in the dashboard, and with which role',
  accounts: 'Accounts (admin) and API keys',
  domains: 'Sending domains: DNS records to publish and their verification',
  credentials: 'SMTP relay logins',
  mailboxes: 'IMAP mailboxes on your domains',
  messages: 'Sending mail and following it',
  templates: 'Handlebars templates',
  suppressions: 'Addresses never sent to',
  contacts: 'Contacts: upsert by address, consent, erasure',
  lists: 'Lists and their members',
  imports: 'CSV imports of contacts, with progress and rejected rows',
  segments: 'Segments: filters over attributes, lists and engagement',
  campaigns: 'Campaigns: build, test, schedule, send, pause, results',
  webhooks: 'Webhook endpoints, their delivery log and replay',
  events: 'The event feed',
  stats: 'Counts over time, bounces and sender health',
};

/**
 * Finishes the document Nest builds: the error schema, the security schemes, a server, the tags'
 * descriptions and the license; public operations say they need no security; a header that
 * Nest documents twice (`@Headers('idempotency-key')` beside the explicit `Idempotency-Key`)
 * keeps only the explicit entry; Nest's empty default 2xx is dropped where the route documents
 * its own.
 */
export function finishDocument(document: OpenAPIObject, serverUrl: string): OpenAPIObject {
  document.servers = [{ url: serverUrl, description: 'this installation (PUBLIC_URL)' }];
  document.info.license = { name: 'MIT', url: 'https://opensource.org/licenses/MIT' };
  document.components ??= {};
  document.components.schemas = { ...document.components.schemas, Error: jsonSchema(errorSchema) };
  document.components.securitySchemes = {
    bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer mr_live_...`. Admin keys name an account in `X-Account-Id`.' },
    session: {
      type: 'apiKey',
      in: 'cookie',
      name: 'mailroom_session',
      description: 'A dashboard session (POST /v1/auth/login). Name the account in `X-Mailroom-Account`; writes carry the session\'s `X-CSRF-Token`.',
    },
  };
  const used = new Set<string>();
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Array<Record<string, any>>) {
      if (!operation || typeof operation !== 'object' || !operation.responses) continue;
      operation.security ??= [];
      for (const tag of operation.tags ?? []) used.add(tag);
      const seen = new Map<string, Record<string, unknown>>();
      operation.parameters = (operation.parameters ?? []).filter((p: Record<string, any>) => {
        const key = `${p.in}:${String(p.name).toLowerCase()}`;
        const explicit = p.name !== String(p.name).toLowerCase() || p.description !== undefined;
        const other = seen.get(key);
        if (!other) {
          seen.set(key, p);
          return true;
        }
        if (explicit) Object.assign(other, p);
        return false;
      });
      const successes = Object.keys(operation.responses).filter((s) => s.startsWith('2'));
      for (const s of successes) {
        if (successes.length > 1 && !operation.responses[s].description) delete operation.responses[s];
      }
    }
  }
  document.tags = [...used].sort().map((name) => ({ name, description: TAGS[name] ?? name }));
  return document;
}
