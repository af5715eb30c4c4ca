import type { SMTPServer } from 'smtp-server';
import { checkRecipientCommand } from './address-policy';
import { Replies, type SmtpReply } from './smtp-reply';

export interface SessionGuardOptions {
  maxConnectionsPerIp: number;
  /** Failed commands (4xx/5xx replies) in one session before it is closed with 421. */
  maxErrors: number;
  /** Longest command line answered normally; longer ones get `500 5.5.2 Line too long`. */
  maxCommandLength: number;
  /**
   * Longest a session may last. The idle timeout alone does not stop a client that trickles a
   * byte now and then (slowloris); this does. A message being processed is never cut off.
   * Unset: no limit.
   */
  maxSessionMs?: number;
}

/** The parts of smtp-server's (untyped) connection object the guard hooks into. */
interface Connection {
  remoteAddress: string;
  _ready: boolean;
  _upgrading: boolean;
  _dataStream: { writableEnded: boolean } | false | null;
  send(code: number, data?: string | string[], context?: string | false): void;
  _onCommand(command: Buffer, callback: () => void): void;
}

const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;

/**
 * What smtp-server has no option for, added per connection of one server instance (nothing is
 * patched globally): a cap on connections per client IP, closing a session after too many
 * errors (address guessing), refusing source routes (smtp-server silently strips them, which
 * RFC 5321 allows but an MX that must visibly refuse relaying does not want), answering
 * over-long command lines with 500 instead of dropping the connection, and keeping the
 * enhanced status code of our own replies instead of the generic one for the basic code.
 *
 * It hooks in where smtp-server tracks its connections (`server.connections`, a public Set):
 * every connection passes through `add` before its greeting and `delete` when it ends.
 */
export class SessionGuard {
  private readonly perIp = new Map<string, number>();
  private readonly deadlines = new WeakMap<Connection, NodeJS.Timeout>();

  constructor(private readonly options: SessionGuardOptions) {}

  install(server: SMTPServer): void {
    const guard = this;
    class GuardedConnections extends Set<Connection> {
      override add(connection: Connection): this {
        if (!this.has(connection)) guard.attach(connection);
        return super.add(connection);
      }
      override delete(connection: Connection): boolean {
        const removed = super.delete(connection);
        if (removed) guard.detach(connection);
        return removed;
      }
    }
    server.connections = new GuardedConnections() as unknown as typeof server.connections;
  }

  /** Connections open from this address (its /64 for IPv6) now, the asking one included. */
  connectionsFrom(ip: string): number {
    return this.perIp.get(clientKey(ip)) ?? 0;
  }

  /** For onConnect: the refusal when this address already has too many connections. */
  admit(ip: string): SmtpReply | null {
    return this.connectionsFrom(ip) > this.options.maxConnectionsPerIp ? Replies.tooManyConnections() : null;
  }

  private attach(connection: Connection): void {
    const ip = clientKey(connection.remoteAddress);
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);

    const send = connection.send.bind(connection);
    let errors = 0;
    let closing = false;
    connection.send = (code, data, context) => {
      // Our replies carry their own enhanced code: do not let smtp-server prepend another.
      if (typeof data === 'string' && ENHANCED_PREFIX.test(data)) context = false;
      send(code, data, context);
      if (code === 421) closing = true;
      // 452 is flow control (too many recipients: send the rest in another transaction).
      if (code < 400 || code === 421 || code === 452 || closing) return;
      if (++errors >= this.options.maxErrors) {
        closing = true;
        const reply = Replies.tooManyErrors();
        send(reply.responseCode, reply.message, false);
      }
    };

    const expire = () => {
      // After the final dot the message is being stored: let that finish, then close.
      if (connection._dataStream && connection._dataStream.writableEnded) {
        this.deadlines.set(connection, setTimeout(expire, 1000).unref());
        return;
      }
      const reply = Replies.sessionTooLong();
      connection.send(reply.responseCode, reply.message);
    };
    if (this.options.maxSessionMs) this.deadlines.set(connection, setTimeout(expire, this.options.maxSessionMs).unref());

    const onCommand = connection._onCommand.bind(connection);
    connection._onCommand = (command, callback) => {
      // Before the greeting and during a TLS handshake smtp-server has its own rules.
      if (!connection._ready || connection._upgrading) return onCommand(command, callback);
      let refusal: SmtpReply | null = null;
      if (command.length > this.options.maxCommandLength) refusal = Replies.commandTooLong();
      else if (command.length > 4 && (command[0] | 0x20) === 0x72 /* r */) refusal = checkRecipientCommand(command.toString('latin1'));
      if (!refusal) return onCommand(command, callback);
      connection.send(refusal.responseCode, refusal.message);
      setImmediate(callback);
    };
  }

  private detach(connection: Connection): void {
    clearTimeout(this.deadlines.get(connection));
    const ip = clientKey(connection.remoteAddress);
    const left = (this.perIp.get(ip) ?? 1) - 1;
    if (left > 0) this.perIp.set(ip, left);
    else this.perIp.delete(ip);
  }
}

/**
 * What the per-address limit counts by: the IPv4 address, or the /64 of an IPv6 one (a single
 * host usually holds a whole /64, so counting single addresses would not limit it at all).
 */
export function clientKey(ip: string): string {
  const address = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (!address.includes(':')) return address;
  const [head, tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}
