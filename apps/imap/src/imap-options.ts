import type { ReaderLimits } from './protocol/command-reader';

/** Limits of the IMAP server; defaults suit one machine, tests and benchmarks override some. */
export interface ImapOptions {
  /** Connections at once from one client IP (further ones get `* BYE` at once). */
  maxConnectionsPerIp: number;
  /** Connections at once in this process. */
  maxConnections: number;
  /**
   * Failed logins within the window before logins are refused: for one user name from one client
   * address (IPv6: /64), from one address whatever the user names, and for one user name from
   * everywhere (addresses the user logged in from lately are exempt from the last).
   */
  authFailuresPerUserAndIp: number;
  authFailuresPerIp: number;
  authFailuresPerUser: number;
  authFailureWindowSeconds: number;
  /** Inactivity before an authenticated session is logged out (RFC 3501: at least 30 minutes). */
  idleTimeoutMs: number;
  /** Inactivity allowed before login. */
  preauthTimeoutMs: number;
  /** Bad commands in a row before the connection is closed. */
  maxBadCommands: number;
  limits: Omit<ReaderLimits, 'maxAppendSize'>;
  /** POP3 inactivity before the session ends without deleting anything (RFC 1939: at least 10 minutes). */
  pop3IdleTimeoutMs: number;
  /** Longest POP3 command line (RFC 2449 allows 255 octets; AUTH PLAIN responses run longer). */
  pop3MaxLineLength: number;
}

export const IMAP_OPTIONS = Symbol('IMAP_OPTIONS');

export const DEFAULT_IMAP_OPTIONS: ImapOptions = {
  maxConnectionsPerIp: 200,
  maxConnections: 5000,
  authFailuresPerUserAndIp: 10,
  authFailuresPerIp: 30,
  authFailuresPerUser: 100,
  authFailureWindowSeconds: 900,
  idleTimeoutMs: 30 * 60 * 1000,
  preauthTimeoutMs: 60 * 1000,
  maxBadCommands: 20,
  limits: { maxLineLength: 64 * 1024, maxLiteralSize: 64 * 1024, maxLiterals: 64 },
  pop3IdleTimeoutMs: 10 * 60 * 1000,
  pop3MaxLineLength: 8 * 1024,
};
