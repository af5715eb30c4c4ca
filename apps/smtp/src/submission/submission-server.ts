import type { AddressInfo } from 'node:net';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { DomainError } from '@mailroom/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { LOGGER, withRequestId, type Logger } from '@mailroom/logger';
import { RedisConnection } from '@mailroom/platform';
import { AuthFailureLimiter } from '@mailroom/ratelimit';
import { SendingService } from '@mailroom/sending';
import { CredentialService } from '@mailroom/tenancy';
import { TlsMaterial } from '@mailroom/tls';
import { installGreetPause } from '../common/greet-pause';
import { closeSmtp, listenSmtp } from '../common/listen';
import { listenerOptions, sessionGuardFor } from '../common/listener-options';
import { readWithinLimits } from '../common/message-reader';
import { SmtpReply } from '../common/smtp-reply';
import { Replies, replyFor } from './submission-replies';

/** Failed AUTH attempts for one user name from one client address (IPv6: /64) in a minute before more are refused unchecked. */
export const AUTH_FAILURES_PER_USER_AND_IP = 9;
/** The same per client address whatever the user names: higher, because many honest users may share one NAT. */
export const AUTH_FAILURES_PER_IP = 30;
/** Per user name from all addresses together; addresses the user logged in from lately are exempt (README: Failed logins). */
export const AUTH_FAILURES_PER_USER = 100;
const AUTH_WINDOW_SECONDS = 60;
/** A session may last this many idle timeouts in all. */
const SESSION_TIMEOUTS = 4;

interface SubmissionUser {
  accountId: string;
  username: string;
}

/**
 * The submission relay (SPEC 8): SMTP_SUBMISSION_PORT with STARTTLS and SMTPS_SUBMISSION_PORT
 * with implicit TLS. AUTH PLAIN/LOGIN against the account's SMTP credentials, offered only once
 * the session is encrypted; nothing is accepted without it. The message goes into the same
 * pipeline as API mail, kept as the client sent it, and `250 2.0.0 queued as <id>` is said only
 * after it is stored.
 */
@Injectable()
export class SubmissionServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly servers: SMTPServer[] = [];
  private readonly logger: Logger;
  /** A child logger per session: every line of one client's session carries its id. */
  private readonly sessionLoggers = new WeakMap<SMTPServerSession, Logger>();
  private readonly authLimiter: AuthFailureLimiter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
    private readonly tls: TlsMaterial,
    private readonly credentials: CredentialService,
    private readonly sending: SendingService,
    redis: RedisConnection,
  ) {
    this.logger = logger.child({ component: 'smtp-submission' });
    this.authLimiter = new AuthFailureLimiter(redis.client, redis.key('smtp'), {
      perUserAndSource: AUTH_FAILURES_PER_USER_AND_IP,
      perSource: AUTH_FAILURES_PER_IP,
      perUser: AUTH_FAILURES_PER_USER,
      windowSeconds: AUTH_WINDOW_SECONDS,
    }, (error, what) => this.logger.warn({ err: error }, `smtp ${what}`));
  }

  /** Bound ports: [submission, smtps] (tests listen on port 0). */
  get ports(): number[] {
    return this.servers.map((s) => (s.server.address() as AddressInfo | null)?.port ?? 0);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { key, cert } = await this.tls.keyPair();
    for (const [port, secure] of [
      [this.config.SMTP_SUBMISSION_PORT, false],
      [this.config.SMTPS_SUBMISSION_PORT, true],
    ] as const) {
      const server = this.create(key, cert, secure);
      await listenSmtp(server, port, this.config.BIND_ADDRESS);
      this.servers.push(server);
    }
    this.logger.info({ ports: this.ports, address: this.config.BIND_ADDRESS }, 'smtp submission listening');
  }

  async onModuleDestroy(): Promise<void> {
    const servers = this.servers.splice(0);
    await Promise.all(servers.map(closeSmtp));
  }

  private create(key: string, cert: string, secure: boolean): SMTPServer {
    const config = this.config;
    const guard = sessionGuardFor(config, SESSION_TIMEOUTS);
    const server = new SMTPServer({
      ...listenerOptions(config, { key, cert }, 'Mailroom submission', secure),
      authMethods: ['PLAIN', 'LOGIN'],
      // AUTH is neither offered nor accepted on a plaintext session (RFC 8314, RFC 4954 section 4).
      allowInsecureAuth: false,
      authOptional: false,
      disableReverseLookup: true,
      onConnect: (session, callback) => callback(guard.admit(session.remoteAddress) ?? undefined),
      // Each hook runs under the session's id (request-context.ts): the libs it calls log with it,
      // and a message submitted in the session keeps it.
      onAuth: (auth, session, callback) => {
        withRequestId(session.id, () => this.authenticate(auth, session)).then(
          (user) => (user instanceof SmtpReply ? callback(user) : callback(null, { user })),
          (error: unknown) => {
            this.log(session).error({ err: error }, 'authentication check failed');
            callback(Replies.temporaryFailure());
          },
        );
      },
      onMailFrom: (address, session, callback) => {
        const user = session.user as SubmissionUser | undefined;
        if (!user) return callback(Replies.authRequired());
        withRequestId(session.id, () => this.checkSender(user.accountId, address.address)).then(
          (reply) => callback(reply ?? undefined),
          () => callback(Replies.temporaryFailure()),
        );
      },
      onData: (stream, session, callback) => {
        withRequestId(session.id, () => this.receive(stream, session)).then(
          (answer) => (answer instanceof SmtpReply ? callback(answer) : callback(null, answer)),
          (error: unknown) => {
            this.log(session).error({ err: error }, 'submitted message not stored');
            callback(Replies.temporaryFailure());
          },
        );
      },
    });
    guard.install(server);
    installGreetPause(server, config.SMTP_GREET_PAUSE_MS);
    hideAuthUntilTls(server);
    server.on('error', (error) => this.logger.debug({ err: error }, 'smtp connection error'));
    return server;
  }

  private log(session: SMTPServerSession): Logger {
    let logger = this.sessionLoggers.get(session);
    if (!logger) {
      logger = this.logger.child({ session: session.id });
      this.sessionLoggers.set(session, logger);
    }
    return logger;
  }

  private async authenticate(auth: SMTPServerAuthentication, session: SMTPServerSession): Promise<SubmissionUser | SmtpReply> {
    const username = auth.username ?? '';
    const ip = session.remoteAddress;
    // Refused before the password is looked at: a guesser learns nothing and costs no scrypt.
    if (await this.authLimiter.blocked(ip, username)) {
      this.log(session).warn({ ip, username: username.slice(0, 128) }, 'authentication throttled');
      return Replies.authThrottled();
    }
    const result = await this.credentials.authenticateSmtp(username, auth.password ?? '');
    if (!result) {
      await this.authLimiter.failed(ip, username);
      this.log(session).info({ ip, username: username.slice(0, 128) }, 'authentication failed');
      return Replies.authFailed();
    }
    await this.authLimiter.succeeded(ip, username);
    return { accountId: result.accountId, username };
  }

  private async checkSender(accountId: string, address: string): Promise<SmtpReply | null> {
    if (!address) return Replies.senderNotAllowed('MAIL FROM:<> is for bounces; give a sender address on one of your domains');
    try {
      await this.sending.checkSender(accountId, address, 'MAIL FROM');
      return null;
    } catch (error) {
      // A sender refused for what it is; anything else (a lookup that failed) by its kind.
      if (error instanceof DomainError) return error.kind === 'invalid' ? Replies.senderNotAllowed(error.message) : replyFor(error);
      throw error;
    }
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<SmtpReply | string> {
    const config = this.config;
    const raw = await readWithinLimits(stream, config);
    if (raw instanceof SmtpReply) return raw;
    const user = session.user as SubmissionUser;
    const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    const recipients = session.envelope.rcptTo.map((r) => r.address);
    try {
      const result = await this.sending.acceptSubmission(user.accountId, { envelopeFrom, recipients, raw: raw });
      this.log(session).info({ user: user.username, id: result.id, rcpt: recipients.length, bytes: raw.length }, 'message submitted');
      return `2.0.0 queued as ${result.id}`;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return replyFor(error);
    }
  }
}

/**
 * smtp-server refuses AUTH on a plaintext session (allowInsecureAuth: false) but still lists it
 * in the EHLO reply; RFC 4954 section 4 says not to advertise what will be refused. Each new
 * connection's EHLO reply loses its AUTH line until the session is encrypted.
 */
function hideAuthUntilTls(server: SMTPServer): void {
  type Connection = { secure: boolean; send(code: number, data?: string | string[], context?: string | false): void };
  const connections = server.connections as unknown as Set<Connection>;
  const add = connections.add.bind(connections);
  connections.add = (connection: Connection) => {
    const send = connection.send.bind(connection);
    connection.send = (code, data, context) =>
      send(code, code === 250 && Array.isArray(data) && !connection.secure ? data.filter((line) => !/^AUTH\b/.test(line)) : data, context);
    return add(connection);
  };
}
