import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Logger } from '@mailroom/logger';
import { isLoopback, normalizeIp } from '../client-address';
import type { ImapOptions } from '../imap-options';
import type { LoginLimiter } from '../login-limiter';
import { SocketInput, drained, upgradeToTls } from '../socket-input';
import type { ImapStorage, ImapUser } from '../storage/imap-storage';
import { LineReader, type Pop3Line } from './line-reader';
import type { Maildrop } from './maildrop';
import { POP3_COMMANDS, type Pop3Context, type Pop3Reply } from './pop3-commands';

export interface Pop3Deps {
  storage: ImapStorage;
  limiter: LoginLimiter;
  options: ImapOptions;
  logger: Logger;
  secureContext: SecureContext;
}

/** Pause reading when this much pipelined input waits; resume below a quarter of it. */
const HIGH_WATER = 256 * 1024;
/** Wait for the socket to drain when this much output is queued (RETR of a large message). */
const WRITE_HIGH_WATER = 256 * 1024;
/** Parts at least this large are written without copying; queued answers are written once they reach it. */
const DIRECT_WRITE = 64 * 1024;

/**
 * One POP3 connection (RFC 1939): AUTHORIZATION until a login, then TRANSACTION on a snapshot of
 * INBOX; QUIT enters UPDATE, where the messages marked with DELE are removed. Any other end of
 * the connection (timeout, reset, shutdown) removes nothing. Pipelined commands are answered in
 * order, their answers written together.
 */
export class Pop3Session implements Pop3Context {
  readonly id = randomBytes(6).toString('hex');
  readonly logger: Logger;
  readonly remoteAddress: string;
  user: ImapUser | null = null;
  maildrop: Maildrop | null = null;
  pendingUser: string | null = null;
  finished: Promise<void> = Promise.resolve();
  private socket: Socket;
  private input: SocketInput<Pop3Line, LineReader>;
  private closed = false;
  /** Answers not yet written: pipelined answers go out in one write, small parts copied together. */
  private out: Buffer[] = [];
  private outBytes = 0;
  private badCount = 0;
  private busy = false;
  private stopping = false;
  private quitting = false;

  constructor(
    socket: Socket,
    readonly deps: Pop3Deps,
    public secure: boolean,
    private readonly onClose: (session: Pop3Session) => void,
  ) {
    this.socket = socket;
    this.remoteAddress = normalizeIp(socket.remoteAddress ?? '');
    this.logger = deps.logger.child({ pop3Session: this.id, remote: this.remoteAddress });
    this.input = this.newInput(socket);
  }

  private newInput(socket: Socket): SocketInput<Pop3Line, LineReader> {
    return new SocketInput(socket, new LineReader(this.deps.options.pop3MaxLineLength), HIGH_WATER);
  }

  get state(): 'authorization' | 'transaction' {
    return this.maildrop ? 'transaction' : 'authorization';
  }

  /** Plain-text login is allowed on a loopback connection; anywhere else only after TLS (as in IMAP). */
  get loginAllowed(): boolean {
    return this.secure || isLoopback(normalizeIp(this.socket.localAddress ?? ''));
  }

  start(): void {
    this.attach(this.socket);
    this.socket.setTimeout(this.deps.options.preauthTimeoutMs);
    // No APOP timestamp in the greeting: APOP is not offered (RFC 1939 7).
    this.write('+OK Mailroom POP3 ready\r\n');
    this.finished = this.loop().catch((error: unknown) => {
      this.logger.error({ err: error }, 'pop3 session failed');
      this.close();
    });
  }

  private attach(socket: Socket): void {
    socket.on('timeout', () => {
      this.logger.info('pop3 session timed out');
      // RFC 1939 3: an autologout ends the session without entering UPDATE.
      this.write('-ERR Disconnected for inactivity; nothing was deleted\r\n');
      this.close();
    });
    socket.on('error', (error: Error) => this.logger.debug({ err: error }, 'pop3 socket error'));
    socket.on('close', () => this.close());
  }

  /** The next line from the client, or null once the connection is closed. Flushes answers first when it must wait. */
  nextLine(): Promise<Pop3Line | null> {
    return this.input.next(() => this.closed, () => this.flush());
  }

  /** Message numbers of RETRs the client has already sent after the current command. */
  upcomingRetrievals(): number[] {
    const numbers: number[] = [];
    for (const line of this.input.reader.peek()) {
      if (line.kind !== 'line' || !/^RETR /i.test(line.text)) break;
      numbers.push(Number(line.text.slice(5).trim()));
    }
    return numbers;
  }

  private async loop(): Promise<void> {
    for (;;) {
      const line = await this.nextLine();
      if (!line) return;
      this.busy = true;
      try {
        await this.handle(line);
      } finally {
        this.busy = false;
      }
      if (!this.input.reader.peek().length || this.socket.writableLength > WRITE_HIGH_WATER) this.flush();
      await this.drained();
      if (this.quitting || this.stopping || this.closed) {
        if (this.stopping && !this.quitting) this.write('-ERR Server shutting down; nothing was deleted\r\n');
        this.close();
        return;
      }
    }
  }

  private async handle(line: Pop3Line): Promise<void> {
    if (line.kind === 'too-long') return this.bad('line too long');
    const space = line.text.indexOf(' ');
    const keyword = (space === -1 ? line.text : line.text.slice(0, space)).toUpperCase();
    const rest = space === -1 ? '' : line.text.slice(space + 1);
    const command = POP3_COMMANDS[keyword];
    if (!command) return this.bad(`unknown command ${printable(keyword.slice(0, 20))}`);
    if (!command.states.includes(this.state)) return this.bad(`${keyword} is not valid in the ${this.state.toUpperCase()} state`);
    let reply: Pop3Reply;
    try {
      reply = await command.run(this, rest);
    } catch (error) {
      if (!this.closed) this.logger.error({ err: error, command: keyword }, 'pop3 command failed');
      reply = { ok: false, code: 'SYS/TEMP', text: 'Internal error, try again later' };
    }
    if (this.closed) return;
    if (reply.bad) return this.bad(reply.text);
    this.badCount = 0;
    // Texts may quote what the client sent: no CR, LF or other control characters.
    const text = printable(reply.text);
    this.write(`${reply.ok ? '+OK' : '-ERR'}${reply.code ? ` [${reply.code}]` : ''}${text ? ` ${text}` : ''}\r\n`);
    if (reply.body) for (const part of reply.body) this.write(part);
    if (reply.after) await reply.after();
    this.logger.debug({ command: keyword, ok: reply.ok }, 'pop3 command');
  }

  private bad(message: string): void {
    this.badCount++;
    this.write(`-ERR ${printable(message)}\r\n`);
    if (this.badCount >= this.deps.options.maxBadCommands) {
      this.write('-ERR Too many bad commands; closing\r\n');
      this.close();
    }
  }

  /**
   * Queues bytes; they go out in one write when no pipelined command waits (see loop). A large
   * part (a big message's slices) is written as it is, after what was queued, never copied.
   */
  write(data: string | Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (bytes.length >= DIRECT_WRITE) {
      this.flush();
      this.socket.write(bytes);
      return;
    }
    this.out.push(bytes);
    this.outBytes += bytes.length;
    if (this.outBytes >= DIRECT_WRITE) this.flush();
  }

  private flush(): void {
    if (!this.out.length || this.socket.destroyed) return;
    this.socket.write(this.out.length === 1 ? this.out[0] : Buffer.concat(this.out, this.outBytes));
    this.out = [];
    this.outBytes = 0;
  }

  /** Waits while the client reads slower than we write. */
  async drained(): Promise<void> {
    if (this.socket.writableLength <= WRITE_HIGH_WATER || this.closed) return;
    this.flush();
    await drained(this.socket);
  }

  enterTransaction(user: ImapUser, maildrop: Maildrop): void {
    this.user = user;
    this.maildrop = maildrop;
    this.pendingUser = null;
    this.socket.setTimeout(this.deps.options.pop3IdleTimeoutMs);
    this.logger.info({ user: user.address }, 'pop3 login');
  }

  quit(): void {
    this.quitting = true;
  }

  /** STLS (RFC 2595): the answer goes out in plain text; anything pipelined after it is dropped. */
  async startTls(): Promise<void> {
    this.flush();
    const secure = upgradeToTls(this.socket, this.deps.secureContext);
    this.socket = secure;
    this.secure = true;
    this.input = this.newInput(secure);
    this.attach(secure);
    secure.setTimeout(this.deps.options.preauthTimeoutMs);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.input.wake();
    this.onClose(this);
    this.logger.debug('pop3 session closed');
  }

  /** Server shutdown: a command in flight (a QUIT removing messages) finishes first; nothing else is removed. */
  shutdown(): void {
    this.stopping = true;
    if (this.closed || this.busy) return;
    this.write('-ERR Server shutting down; nothing was deleted\r\n');
    this.close();
  }
}

function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ');
}
