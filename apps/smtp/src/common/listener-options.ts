import type { SMTPServerOptions } from 'smtp-server';
import type { AppConfig } from '@mailroom/config';
import { SessionGuard } from './session-guard';

/** RFC 5321 4.5.3.1.4: 512 octets per command line, CRLF included. */
const MAX_COMMAND_LINE = 510;
/** Past this smtp-server stops reading the line and closes the session (a flood, not a command). */
const HARD_COMMAND_LINE = 8192;

/**
 * What the inbound MX and the submission relay share: the host's name and certificate, SIZE,
 * 8BITMIME, PIPELINING, SMTPUTF8 and ENHANCEDSTATUSCODES (no DSN), the recipient, connection
 * and command-line limits and the idle timeouts. Each listener adds its AUTH policy and hooks.
 */
export function listenerOptions(config: AppConfig, tls: { key: string; cert: string }, banner: string, secure: boolean): SMTPServerOptions {
  return {
    name: config.MAIL_HOSTNAME,
    banner,
    key: tls.key,
    cert: tls.cert,
    secure,
    size: config.MAX_MESSAGE_SIZE,
    hideSize: false,
    hide8BITMIME: false,
    hidePIPELINING: false,
    hideSMTPUTF8: false,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: true,
    maxRecipients: config.SMTP_MAX_RECIPIENTS,
    maxClients: config.SMTP_MAX_CONNECTIONS,
    maxCommandLength: HARD_COMMAND_LINE,
    socketTimeout: config.SMTP_TIMEOUT_SECONDS * 1000,
    // On shutdown, sessions get this long to finish their transaction before a 421: a third of
    // SHUTDOWN_GRACE_SECONDS (10 s at most), leaving the rest for storing and the other drains.
    closeTimeout: Math.min(10_000, (config.SHUTDOWN_GRACE_SECONDS * 1000) / 3),
    logger: false,
  };
}

/** Per-address connection cap, error count, command-line length and a session's longest life (this many idle timeouts). */
export function sessionGuardFor(config: AppConfig, sessionTimeouts: number): SessionGuard {
  return new SessionGuard({
    maxConnectionsPerIp: config.SMTP_MAX_CONNECTIONS_PER_IP,
    maxErrors: config.SMTP_MAX_ERRORS,
    maxCommandLength: MAX_COMMAND_LINE,
    maxSessionMs: config.SMTP_TIMEOUT_SECONDS * sessionTimeouts * 1000,
  });
}
