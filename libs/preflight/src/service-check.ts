import type { Socket } from 'node:net';
import { Client } from 'pg';

/**
 * Before a process starts, it checks that PostgreSQL and Redis answer, so that a missing one is
 * named in one plain line (what, where, why, how to start it) instead of a stack trace or a
 * warning every second.
 */
export type Service = 'PostgreSQL' | 'Redis';

/** Thrown (or returned) when a backing service cannot be used; `message` is the line to print. */
export class ServiceUnavailableError extends Error {
  constructor(
    readonly service: Service,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceUnavailableError';
  }
}

export const DEFAULT_CHECK_TIMEOUT_MS = 5_000;

/** The URL as it may be printed: any password becomes ***. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString().replace(/\/$/, '');
  } catch {
    return raw.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

function isLocal(raw: string): boolean {
  try {
    const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || host.startsWith('127.') || host === '';
  } catch {
    return false;
  }
}

function hostOf(raw: string): string {
  try {
    return new URL(raw).hostname;
  } catch {
    return raw;
  }
}

const START_HINT: Record<Service, string> = {
  PostgreSQL: 'Start it: sudo apt-get install -y postgresql && sudo systemctl start postgresql, or docker compose up -d postgres',
  Redis: 'Start it: sudo apt-get install -y redis-server && sudo systemctl start redis-server, or docker compose up -d redis',
};

const VARIABLE: Record<Service, string> = { PostgreSQL: 'DATABASE_URL', Redis: 'REDIS_URL' };

interface NetworkError {
  code?: string;
  message?: string;
}

/** Why a connection failed, in words, or undefined when it is not a network failure. */
function networkCause(error: NetworkError, url: string, timeoutMs: number): string | undefined {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `unknown host ${hostOf(url)}`;
    case 'ETIMEDOUT':
    case 'TIMEOUT':
      return `no answer within ${timeoutMs / 1000} s`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection closed by the server';
    default:
      return undefined;
  }
}

/** The one line for a failed check: what is missing, where it was looked for, why, what to do. */
export function describeFailure(service: Service, url: string, error: unknown, timeoutMs = DEFAULT_CHECK_TIMEOUT_MS): ServiceUnavailableError {
  const where = `${service} at ${redactUrl(url)}`;
  const variable = VARIABLE[service];
  const e = (error ?? {}) as NetworkError;
  const cause = networkCause(e, url, timeoutMs);
  if (cause) {
    let next: string;
    if (cause.startsWith('unknown host')) next = `Check the host name in ${variable}`;
    else if (isLocal(url)) next = START_HINT[service];
    else next = `Check that ${service} runs on ${hostOf(url)} and accepts connections from here, or set ${variable}`;
    return new ServiceUnavailableError(service, `Mailroom cannot reach ${where} (${cause}). ${next}`);
  }
  const message = (e.message ?? String(error)).split('\n')[0]!.trim();
  if (service === 'PostgreSQL' && /client password must be a string/.test(message)) {
    // pg's own words when the server asks for a password and the URL has none.
    return new ServiceUnavailableError(service, `Mailroom cannot log in to ${where} (the server asks for a password and ${variable} has none). Check the user and password in ${variable}`);
  }
  if (service === 'PostgreSQL' && (e.code === '28P01' || e.code === '28000')) {
    return new ServiceUnavailableError(service, `Mailroom cannot log in to ${where} (${message}). Check the user and password in ${variable}`);
  }
  if (service === 'Redis' && /^(WRONGPASS|NOAUTH|NOPERM)/.test(message)) {
    return new ServiceUnavailableError(service, `Mailroom cannot log in to ${where} (${message}). Check the password in ${variable}`);
  }
  if (e.code === '57P03' || /^LOADING /.test(message)) {
    // PostgreSQL starting or recovering, Redis reading its dataset: a moment later it answers.
    return new ServiceUnavailableError(service, `Mailroom cannot use ${where} yet (${message}). Try again in a moment`);
  }
  return new ServiceUnavailableError(service, `Mailroom cannot use ${where} (${message || 'unknown error'}). Check ${variable}`);
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number, cancel: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cancel();
      reject(Object.assign(new Error('timed out'), { code: 'TIMEOUT' }));
    }, timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export interface PostgresCheckOptions {
  timeoutMs?: number;
  /** The caller creates a missing database (npm start, migrate): a missing one is not a failure. */
  createsDatabase?: boolean;
}

/** Connects once to DATABASE_URL; resolves when PostgreSQL answers, rejects with the line to print. */
export async function checkPostgres(url: string, options: PostgresCheckOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    // end() only half-closes a connection still starting: a server that never answers would keep it.
    await withTimeout(client.connect(), timeoutMs, () => (client as unknown as { connection?: { stream?: Socket } }).connection?.stream?.destroy());
  } catch (error) {
    const e = error as NetworkError;
    if (e.code === '3D000') {
      if (options.createsDatabase) return;
      const database = decodeURIComponent(new URL(url).pathname.slice(1));
      throw new ServiceUnavailableError(
        'PostgreSQL',
        `Mailroom's database ${database} does not exist on PostgreSQL at ${redactUrl(url)}. Create it with npm run db:migrate (npm start creates it too)`,
      );
    }
    // pg reports its own connect timeout as a plain Error.
    if (!e.code && /timeout/i.test(e.message ?? '')) throw describeFailure('PostgreSQL', url, { code: 'TIMEOUT' }, timeoutMs);
    throw describeFailure('PostgreSQL', url, error, timeoutMs);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Connects once to REDIS_URL and sends PING; rejects with the line to print. */
export async function checkRedis(url: string, options: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  // Loaded here: the CLI checks PostgreSQL only and should not pay for ioredis.
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
  });
  let lastError: unknown;
  client.on('error', (error) => (lastError = error));
  try {
    await withTimeout(
      client.connect().then(() => client.ping()),
      timeoutMs,
      // disconnect() leaves a socket that got no reply half-open: close it outright.
      () => (client as unknown as { stream?: Socket }).stream?.destroy(),
    );
  } catch (error) {
    // ioredis sometimes rejects with "Connection is closed." after the socket error it emitted.
    const e = error as NetworkError;
    const cause = e.code || /^(WRONGPASS|NOAUTH|NOPERM)/.test(e.message ?? '') ? error : (lastError ?? error);
    throw describeFailure('Redis', url, cause, timeoutMs);
  } finally {
    client.disconnect();
    (client as unknown as { stream?: Socket }).stream?.destroy();
  }
}

export interface ServiceCheckOptions {
  postgres?: boolean | PostgresCheckOptions;
  redis?: boolean;
  timeoutMs?: number;
}

/**
 * Checks the services a process needs, at once. Resolves when all answer; rejects with a
 * ServiceUnavailableError whose message is the line to print (a line each when both are missing).
 */
export async function checkServices(config: { DATABASE_URL: string; REDIS_URL: string }, options: ServiceCheckOptions): Promise<void> {
  const timeoutMs = options.timeoutMs;
  const pgOptions = typeof options.postgres === 'object' ? options.postgres : {};
  const results = await Promise.allSettled([
    options.postgres ? checkPostgres(config.DATABASE_URL, { timeoutMs, ...pgOptions }) : Promise.resolve(),
    options.redis ? checkRedis(config.REDIS_URL, { timeoutMs }) : Promise.resolve(),
  ]);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length === 0) return;
  const unavailable = failures.filter((f): f is ServiceUnavailableError => f instanceof ServiceUnavailableError);
  if (unavailable.length !== failures.length) throw failures.find((f) => !(f instanceof ServiceUnavailableError));
  if (unavailable.length === 1) throw unavailable[0];
  throw new ServiceUnavailableError(unavailable[0]!.service, unavailable.map((f) => f.message).join('\n'));
}
