import { hostname, availableParallelism } from 'node:os';
import { z } from 'zod';

const port = z.coerce
  .number({ invalid_type_error: 'must be a port number' })
  .int('must be a whole port number')
  .min(1, 'must be a port number between 1 and 65535')
  .max(65535, 'must be a port number between 1 and 65535');

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/, 'must be host or host:port');

const url = (protocols: string[]) =>
  z
    .string()
    .url('must be a URL')
    .refine((value) => protocols.includes(new URL(value).protocol), {
      message: `must be a ${protocols.join(' or ')} URL`,
    });

const dnsServer = z
  .string()
  .regex(/^(\d{1,3}(\.\d{1,3}){3}|\[?[0-9a-fA-F:]+\]?)(:\d{1,5})?$/, 'must be ip or ip:port');

/** Every environment variable Mailroom reads, with its default. The README's table mirrors this. */
export const configSchema = z.object({
  DATABASE_URL: url(['postgresql:', 'postgres:']).default('postgresql://postgres@127.0.0.1:5432/mailroom'),
  /** Connections one process keeps to PostgreSQL at most (Prisma and the hot paths share them). */
  DATABASE_POOL_SIZE: z.coerce.number({ invalid_type_error: 'must be a number of connections' }).int('must be a whole number').min(2, 'must be at least 2').max(1000, 'must be at most 1000').default(20),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key (queues, pub/sub channels, rate limits): one Redis, many installs. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_\-]+$/, 'must be letters, digits, _ or -').default('mailroom'),
  BIND_ADDRESS: z.string().ip({ message: 'must be an IP address' }).default('127.0.0.1'),
  HTTP_PORT: port.default(3000),
  SMTP_INBOUND_PORT: port.default(2525),
  SMTP_SUBMISSION_PORT: port.default(2587),
  SMTPS_SUBMISSION_PORT: port.default(2465),
  IMAP_PORT: port.default(1143),
  IMAPS_PORT: port.default(1993),
  POP3_PORT: port.default(1110),
  POP3S_PORT: port.default(1995),
  MAIL_HOSTNAME: z
    .string()
    .regex(/^[A-Za-z0-9]([A-Za-z0-9\-.]*[A-Za-z0-9])?$/, 'must be a host name')
    .default(hostname()),
  OUTBOUND_SMTP_PORT: port.default(25),
  DNS_SERVERS: z
    .string()
    .optional()
    .transform((value) => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : []))
    .pipe(z.array(dnsServer)),
  RELAY_HOST: hostPort.optional(),
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  ADMIN_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  PUBLIC_URL: url(['http:', 'https:']).default('http://localhost:3000'),
  /** Sender of the mail Mailroom sends about dashboard logins (invitations, password resets); on a verified domain. */
  SYSTEM_MAIL_FROM: z.string().min(3, 'must be an email address').max(998).optional(),
  WORKER_CONCURRENCY: z.coerce
    .number({ invalid_type_error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(10000, 'must be at most 10000')
    .default(Math.max(16, availableParallelism() * 32)),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` or `pretty`; unset: pretty when stdout is a terminal, JSON lines otherwise. */
  LOG_FORMAT: z.enum(['json', 'pretty'], { errorMap: () => ({ message: 'must be json or pretty' }) }).optional(),
  /** Seconds between delivery attempts after temporary failures (the last repeats). */
  RETRY_SCHEDULE: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'must be comma-separated whole seconds')
    .default('60,300,900,1800,3600,7200,14400,28800')
    .transform((value) => value.split(',').map(Number))
    .refine((list) => list.every((n) => n >= 1), 'must be at least 1 second each'),
  /** After this many hours since acceptance, temporary failures become `failed`. */
  RETRY_MAX_AGE_HOURS: z.coerce.number({ invalid_type_error: 'must be a number of hours' }).positive('must be positive').default(72),
  /** The sweeper re-enqueues work that waited longer than this, every this many seconds. */
  SWEEP_INTERVAL_SECONDS: z.coerce.number({ invalid_type_error: 'must be a number of seconds' }).int('must be whole seconds').min(1, 'must be at least 1').default(30),
  /** How long a delivery may run before its claim counts as abandoned (a killed worker). */
  DELIVERY_LEASE_SECONDS: z.coerce.number({ invalid_type_error: 'must be a number of seconds' }).int('must be whole seconds').min(1, 'must be at least 1').default(900),
  /**
   * A delivery worker renews its heartbeat (its `workers` row, its destination slots) every fifth
   * of this; silent this long, it is taken for dead: its slots lapse and its claims are handed back.
   */
  WORKER_HEARTBEAT_SECONDS: z.coerce.number({ invalid_type_error: 'must be a number of seconds' }).int('must be whole seconds').min(2, 'must be at least 2').max(300, 'must be at most 300').default(5),
  /**
   * How far V8's old generation may grow past what survived the last full collection before the
   * next one, in percent. Left to itself (0), V8 lets it reach several times the live size, all of
   * it garbage that stays resident. Unset: 20 for the imap process, 50 for the others.
   */
  HEAP_GROWING_PERCENT: z.coerce.number({ invalid_type_error: 'must be a whole number of percent' }).int('must be a whole number of percent').min(0, 'must be 0 or more').max(1000, 'must be at most 1000').optional(),
  /** On SIGTERM/SIGINT, how long a process may take to finish what it holds and close its connections. */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number({ invalid_type_error: 'must be a number of seconds' }).int('must be whole seconds').min(1, 'must be at least 1').max(3600, 'must be at most 3600').default(30),
  /** BullMQ job lock: a worker that stops renewing it for this long is taken as dead. */
  WORKER_LOCK_SECONDS: z.coerce.number({ invalid_type_error: 'must be a number of seconds' }).int('must be whole seconds').min(1, 'must be at least 1').default(30),
  /** Connections at once to one destination domain across all workers, unless a destination policy says otherwise. */
  DESTINATION_MAX_CONNECTIONS: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').default(20),
  /** Messages per minute to one destination domain by default; 0 means no limit. */
  DESTINATION_MESSAGES_PER_MINUTE: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').default(0),
  /** Threads per worker process that DKIM-sign beside its event loop; 0 signs on the loop. */
  DKIM_SIGNING_THREADS: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(64, 'must be at most 64').default(Math.min(64, availableParallelism())),
  /** Messages to one domain accepted together share a delivery job of at most this many (1: a job each). */
  DELIVERY_BATCH_SIZE: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(500, 'must be at most 500').default(10),
  /** Largest CSV a contact import may upload, in bytes; larger is refused with 413 (1 GiB holds ~15 million rows). */
  IMPORT_MAX_BYTES: z.coerce.number({ invalid_type_error: 'must be a number of bytes' }).int('must be a whole number of bytes').min(1024, 'must be at least 1024 bytes').default(1024 * 1024 * 1024),
  /** Public subscription forms: posts per client IP per hour; more get 429. */
  SUBSCRIBE_RATE_LIMIT: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').default(20),
  /**
   * A sending campaign's messages not yet attempted (queued or being sent) at most: the dispatcher
   * materializes more as these go out, so a pause holds all but these and memory stays flat.
   */
  CAMPAIGN_WINDOW: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000').default(2000),
  /** Largest message accepted anywhere (API, relay, inbound), in bytes. */
  MAX_MESSAGE_SIZE: z.coerce
    .number({ invalid_type_error: 'must be a number of bytes' })
    .int('must be a whole number of bytes')
    .min(1024, 'must be at least 1024 bytes')
    .default(25 * 1024 * 1024),
  /** Inbound MTA: recipients per message; more get 452 (RFC 5321 asks servers to take at least 100). */
  SMTP_MAX_RECIPIENTS: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').default(100),
  /** Inbound MTA: simultaneous connections from one client IP; more are refused with 421. */
  /** Connections at once per SMTP listener from everyone together; past it new ones get 421. */
  SMTP_MAX_CONNECTIONS: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').default(1000),
  SMTP_MAX_CONNECTIONS_PER_IP: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').default(20),
  /** Inbound MTA: failed commands in one session before it is closed with 421 (address guessing). */
  SMTP_MAX_ERRORS: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').default(10),
  /** Inbound MTA: longest line of message text, without CRLF (RFC 5322 2.1.1: 998); longer is refused with 500. */
  SMTP_MAX_LINE_LENGTH: z.coerce.number({ invalid_type_error: 'must be a number of octets' }).int('must be a whole number').min(78, 'must be at least 78').default(998),
  /**
   * How long an SMTP listener waits before its greeting; a client that talks first is refused
   * ("you talk too soon", as Postfix's postscreen does). smtp-server's own 100 ms cost every
   * connection that long: with one message per connection, 20 sessions could not file more than
   * 200 messages/s whatever the machine (bench:inbound --peers). 0, as Postfix's smtpd.
   */
  SMTP_GREET_PAUSE_MS: z.coerce.number({ invalid_type_error: 'must be a number of milliseconds' }).int('must be whole milliseconds').min(0, 'must be 0 or more').max(30_000, 'must be at most 30000').default(0),
  /** Inbound MTA: seconds a client may stay silent before the session is closed (RFC 5321 4.5.3.2 suggests 5 minutes). */
  SMTP_TIMEOUT_SECONDS: z.coerce.number({ invalid_type_error: 'must be a number of seconds' }).int('must be whole seconds').min(1, 'must be at least 1').default(300),
  /** Webhook URLs may resolve to loopback, private, link-local and metadata addresses (tests, private networks). */
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false', '1', '0'], { errorMap: () => ({ message: 'must be true or false' }) })
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
  /** Longest a webhook endpoint may take to answer one attempt. */
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number({ invalid_type_error: 'must be a number of seconds' }).int('must be whole seconds').min(1, 'must be at least 1').max(60, 'must be at most 60').default(15),
  /** Seconds before each retry of a failed webhook attempt (the first attempt is immediate); jittered by up to 10%. */
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'must be comma-separated whole seconds')
    .default('5,300,1800,7200,18000,36000,50400,72000,86400')
    .transform((value) => value.split(',').map(Number))
    .refine((list) => list.every((n) => n >= 1), 'must be at least 1 second each'),
  /** An endpoint whose attempts have all failed for this long is disabled and its account told. */
  WEBHOOK_DISABLE_AFTER_HOURS: z.coerce.number({ invalid_type_error: 'must be a number of hours' }).positive('must be positive').default(120),
  /** Webhook requests in flight at once per worker process. */
  WEBHOOK_CONCURRENCY: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(10000, 'must be at most 10000').default(256),
  /** Events (and their webhook deliveries and attempt logs) are deleted after this many days. */
  EVENT_RETENTION_DAYS: z.coerce.number({ invalid_type_error: 'must be a number of days' }).int('must be whole days').min(1, 'must be at least 1').default(30),
});

export type AppConfig = z.output<typeof configSchema>;
