import type { AddressInfo } from 'node:net';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { LOGGER, type Logger } from '@mailroom/logger';
import { TlsMaterial } from '@mailroom/tls';
import { InboundDelivery } from './inbound-delivery';
import { InboundDns } from './inbound-dns';
import { InboundMetrics } from './inbound-metrics';
import { installGreetPause } from '../common/greet-pause';
import { closeSmtp, listenSmtp } from '../common/listen';
import { listenerOptions, sessionGuardFor } from '../common/listener-options';
import { readWithinLimits } from '../common/message-reader';
import { RecipientRouter } from './recipient-router';
import type { Route } from './routes';
import { Replies, SmtpReply } from '../common/smtp-reply';
import { inboundReplyFor } from './inbound-replies';

/** A session may last this many idle timeouts in all (30 minutes by default). */
const SESSION_TIMEOUTS = 6;

type RoutedAddress = SMTPServerAddress & { route?: Route };

/**
 * The inbound MX on SMTP_INBOUND_PORT: STARTTLS, SIZE, 8BITMIME, SMTPUTF8, PIPELINING and
 * ENHANCEDSTATUSCODES; no AUTH (nothing is relayed, so there is nothing to log in for). Starts
 * on application bootstrap and stops, after the transactions in flight, on shutdown.
 */
@Injectable()
export class InboundServer implements OnApplicationBootstrap, OnModuleDestroy {
  private server?: SMTPServer;
  private readonly logger: Logger;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
    private readonly tls: TlsMaterial,
    private readonly router: RecipientRouter,
    private readonly delivery: InboundDelivery,
    private readonly metrics: InboundMetrics,
    private readonly dns: InboundDns,
  ) {
    this.logger = logger.child({ component: 'smtp-inbound' });
  }

  /** The bound port (tests listen on port 0). */
  get port(): number {
    return (this.server?.server.address() as AddressInfo | null)?.port ?? 0;
  }

  async onApplicationBootstrap(): Promise<void> {
    const config = this.config;
    const { key, cert } = await this.tls.keyPair();
    const guard = sessionGuardFor(config, SESSION_TIMEOUTS);

    const server = new SMTPServer({
      ...listenerOptions(config, { key, cert }, 'Mailroom', false),
      disabledCommands: ['AUTH'],
      authOptional: true,
      // The client's reverse name for its Received line, through the MX's one DnsClient.
      resolver: this.dns.reverse,
      onConnect: (session, callback) => {
        const refusal = guard.admit(session.remoteAddress);
        if (refusal) this.logger.info({ session: session.id, ip: session.remoteAddress }, 'too many connections from one address');
        callback(refusal ?? undefined);
      },
      // Lines about a session name it (session, queueId); the request context (AsyncLocalStorage)
      // is not entered here, as its promise hooks would tax every await of the process on Node 22.
      onRcptTo: (address, session, callback) => {
        this.route(address as RoutedAddress, session).then(
          (reply) => callback(reply ?? undefined),
          (error: unknown) => {
            this.logger.error({ err: error, session: session.id }, 'recipient lookup failed');
            callback(inboundReplyFor(error, Replies.lookupFailure));
          },
        );
      },
      onData: (stream, session, callback) => {
        this.receive(stream, session).then(
          (answer) => {
            this.metrics.messages.inc({ result: answer instanceof SmtpReply ? 'rejected' : 'accepted' });
            return answer instanceof SmtpReply ? callback(answer) : callback(null, answer);
          },
          (error: unknown) => {
            this.metrics.messages.inc({ result: 'failed' });
            this.logger.error({ err: error, session: session.id }, 'inbound message not stored');
            callback(inboundReplyFor(error));
          },
        );
      },
    });
    guard.install(server);
    installGreetPause(server, config.SMTP_GREET_PAUSE_MS);
    server.on('error', (error) => this.logger.debug({ err: error }, 'smtp connection error'));
    await listenSmtp(server, config.SMTP_INBOUND_PORT, config.BIND_ADDRESS);
    this.server = server;
    this.logger.info({ port: this.port, address: config.BIND_ADDRESS }, 'smtp inbound listening');
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await closeSmtp(server);
  }

  private async route(address: RoutedAddress, session: SMTPServerSession): Promise<SmtpReply | null> {
    const route = await this.router.route(address.address);
    if (route instanceof SmtpReply) {
      this.metrics.recipients.inc({ route: 'refused' });
      this.logger.info({ session: session.id, ip: session.remoteAddress, rcpt: address.address.slice(0, 320), reply: route.toString() }, 'recipient refused');
      return route;
    }
    address.route = route;
    this.metrics.recipients.inc({ route: route.kind === 'return-path' ? 'return_path' : route.kind === 'unsubscribe' ? 'unsubscribe' : route.catchAll ? 'catch_all' : 'mailbox' });
    return null;
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<SmtpReply | string> {
    const config = this.config;
    const raw = await readWithinLimits(stream, config);
    if (raw instanceof SmtpReply) return raw;
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    const routes = (session.envelope.rcptTo as RoutedAddress[]).map((r) => r.route).filter((r): r is Route => !!r);
    const id = `${session.id}.${(session as SMTPServerSession & { transaction?: number }).transaction ?? 1}`;
    const log = this.logger.child({ session: session.id, queueId: id });
    const started = Date.now();
    const result = await this.delivery.deliver(
      raw,
      { mailFrom, routes },
      { ip: session.remoteAddress, helo: session.hostNameAppearsAs || '', clientHostname: session.clientHostname || '', secure: session.secure, id },
      config.MAIL_HOSTNAME,
      log,
    );
    if (result instanceof SmtpReply) return result;
    if (result.report) this.metrics.reports.inc({ kind: result.report });
    log.info({ from: mailFrom, rcpt: routes.map((r) => r.address), bytes: raw.length, filed: result.filed.length, report: result.report, ms: Date.now() - started }, 'message accepted');
    return `2.0.0 Ok: queued as ${id}`;
  }
}
