import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { DomainError } from '@mailroom/common';
import type { Logger } from '@mailroom/logger';
import { isLoopback, normalizeIp } from '../client-address';
import { COMMANDS } from '../commands';
import type { CommandResult } from '../commands/command';
import type { ImapOptions } from '../imap-options';
import { CommandReader, type Frame } from '../protocol/command-reader';
import { ParseError, parseCommand, tagOf } from '../protocol/command-parser';
import { SocketInput, drained, upgradeToTls } from '../socket-input';
import type { ImapStorage, ImapUser } from '../storage/imap-storage';
import type { CommandSession, CommandSessionDeps, SessionState } from './command-session';
import { RESPONSE_CODE } from './error-response';
import type { FolderFeeds } from './folder-feed';
import { SelectedFolder } from './selected-folder';

export interface SessionDeps extends CommandSessionDeps {
  options: ImapOptions;
  logger: Logger;
  secureContext: () => Promise<SecureContext>;
  feeds: FolderFeeds;
}

/** Pause reading when this much input waits; resume below a quarter of it. */
const HIGH_WATER = 1024 * 1024;
/** Wait for the socket to drain when this much output is queued. */
const WRITE_HIGH_WATER = 256 * 1024;

/**
 * One IMAP connection: reads commands one at a time (pipelined input waits in a bounded
 * buffer), runs each through its handler, reports changes to the selected folder before the
 * tagged answer, and holds the connection state RFC 3501 3 describes.
 */
export class ImapSession implements CommandSession {
  readonly id = randomBytes(6).toString('hex');
  readonly logger: Logger;
  state: SessionState = 'not-authenticated';
  user: ImapUser | null = null;
  selected: SelectedFolder | null = null;
  /** CONDSTORE is on once enabled or used (RFC 7162 3.1). */
  condstore = false;
  /** QRESYNC (RFC 7162 3.2), only once enabled: VANISHED replaces EXPUNGE. */
  qresync = false;
  readonly enabled = new Set<string>();
  clientId: Record<string, string> | null = null;
  private socket: Socket;
  private input: SocketInput<Frame, CommandReader>;
  private closed = false;
  private badCount = 0;
  private unwatch: (() => void) | null = null;
  private syncing: Promise<void> = Promise.resolve();
  /** Set while IDLE runs: changes are pushed as they happen. */
  idling = false;
  /** Settles once the command loop has ended: closed, and no command of this session still running. */
  finished: Promise<void> = Promise.resolve();
  /** A command is being handled. */
  private busy = false;
  /** The server is shutting down: BYE after the command in flight. */
  private stopping = false;
  /** The socket is corked: a command's responses leave in one write when it ends (see write). */
  private corked = false;
  readonly remoteAddress: string;

  constructor(
    socket: Socket,
    readonly deps: SessionDeps,
    public secure: boolean,
    private readonly onClose: (session: ImapSession) => void,
  ) {
    this.socket = socket;
    this.remoteAddress = normalizeIp(socket.remoteAddress ?? '');
    this.logger = deps.logger.child({ imapSession: this.id, remote: this.remoteAddress });
    this.input = this.newInput(socket);
  }

  get storage(): ImapStorage {
    return this.deps.storage;
  }

  /** Plain-text login is allowed on a loopback connection; anywhere else only after TLS. */
  get loginAllowed(): boolean {
    return this.secure || isLoopback(normalizeIp(this.socket.localAddress ?? ''));
  }

  capabilities(): string[] {
    const caps = ['IMAP4rev1', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE', 'UIDPLUS', 'MOVE', 'UNSELECT', 'SPECIAL-USE', 'CHILDREN', 'LIST-EXTENDED', 'LIST-STATUS', 'CONDSTORE', 'QRESYNC', 'ESEARCH', 'SEARCHRES', 'WITHIN', 'SORT', 'THREAD=ORDEREDSUBJECT', 'THREAD=REFERENCES', 'MULTIAPPEND', 'CATENATE', 'BINARY', `APPENDLIMIT=${this.deps.maxAppendSize}`];
    if (this.state === 'not-authenticated') {
      if (!this.secure) caps.push('STARTTLS');
      caps.push(this.loginAllowed ? 'AUTH=PLAIN' : 'LOGINDISABLED');
    }
    return caps;
  }

  start(): void {
    this.attach(this.socket);
    this.socket.setTimeout(this.deps.options.preauthTimeoutMs);
    this.logger.debug({ secure: this.secure }, 'imap session opened');
    void this.write(`* OK [CAPABILITY ${this.capabilities().join(' ')}] Mailroom IMAP ready\r\n`);
    this.finished = this.loop().catch((error: unknown) => {
      this.logger.error({ err: error }, 'imap session failed');
      this.close();
    });
  }

  private newInput(socket: Socket): SocketInput<Frame, CommandReader> {
    const reader = new CommandReader({ ...this.deps.options.limits, maxAppendSize: this.deps.maxAppendSize }, () => void this.write('+ Ready for literal data\r\n'));
    reader.authenticated = () => this.user !== null;
    return new SocketInput(socket, reader, HIGH_WATER);
  }

  private attach(socket: Socket): void {
    socket.on('timeout', () => {
      this.logger.info('imap session timed out');
      void this.write('* BYE Autologout; idle for too long\r\n').then(() => this.close());
    });
    socket.on('error', (error: Error) => this.logger.debug({ err: error }, 'imap socket error'));
    socket.on('close', () => this.close());
  }

  /** The next command from the client, or null once the connection is closed. */
  nextFrame(): Promise<Frame | null> {
    // What was said so far (a continuation request, `+ idling`) must reach the client it waits for.
    return this.input.next(() => this.closed, () => this.flush());
  }

  private async loop(): Promise<void> {
    for (;;) {
      const frame = await this.nextFrame();
      if (!frame) return;
      this.busy = true;
      this.cork();
      try {
        await this.handle(frame);
      } finally {
        this.busy = false;
        this.flush();
      }
      if (this.stopping && !this.closed && this.state !== 'logout') await this.write('* BYE Server shutting down\r\n');
      if (this.state === 'logout' || this.stopping) {
        this.close();
        return;
      }
    }
  }

  private async handle(frame: Frame): Promise<void> {
    if (frame.kind === 'error') {
      this.logger.info({ reason: frame.message }, 'imap command refused');
      if (frame.tooBig && frame.tag) return this.write(`${frame.tag} NO [TOOBIG] ${frame.message}\r\n`);
      return this.bad(frame.tag, frame.message);
    }
    let command;
    try {
      command = parseCommand(frame);
    } catch (error) {
      return this.bad(tagOf(frame), error instanceof ParseError ? error.message : 'syntax error');
    }
    const handler = COMMANDS[command.name];
    if (!handler) return this.bad(command.tag, `unknown command ${command.name.slice(0, 30)}`);
    if (!handler.states.includes(this.state)) return this.bad(command.tag, `${command.name} is not allowed now`);
    let result: CommandResult;
    const started = Date.now();
    try {
      result = await handler.run(this, command);
    } catch (error) {
      result = this.translate(error);
    }
    if (this.closed) return;
    if (result.status === 'BAD') this.badCount++;
    else this.badCount = 0;
    if (this.selected && this.state === 'selected' && !result.skipSync) {
      await this.syncSelected({ expunge: handler.expungeAllowed?.(command) ?? true, force: handler.forceSync ?? false });
    }
    if (this.closed) return;
    // Texts may quote what the client sent (a folder name): never let a CR or LF end the line
    // early, nor other control characters reach the client's screen.
    const text = result.text.replace(/[\x00-\x1f\x7f]+/g, ' ');
    await this.write(`${command.tag} ${result.status}${result.code ? ` [${result.code}]` : ''} ${text}\r\n`);
    if (result.after) {
      this.flush();
      await result.after();
    }
    const ms = Date.now() - started;
    this.deps.metrics.commands.inc({ command: command.name, status: result.status });
    if (command.name !== 'IDLE') this.deps.metrics.commandDuration.observe({ command: command.name }, ms / 1000);
    this.logger.debug({ command: command.name, status: result.status, ms }, 'imap command');
    if (this.badCount >= this.deps.options.maxBadCommands) {
      await this.write('* BYE Too many bad commands\r\n');
      this.close();
    }
  }

  private async bad(tag: string | null, message: string): Promise<void> {
    this.badCount++;
    await this.write(`${tag ?? '*'} BAD ${message.replace(/[\r\n]/g, ' ')}\r\n`);
    if (this.badCount >= this.deps.options.maxBadCommands) {
      await this.write('* BYE Too many bad commands\r\n');
      this.close();
    }
  }

  /** Domain errors become NO with a response code (RFC 5530); anything else is our bug. */
  private translate(error: unknown): CommandResult {
    if (error instanceof ParseError) return { status: 'BAD', text: error.message };
    if (error instanceof DomainError) return { status: 'NO', code: RESPONSE_CODE[error.kind](error), text: error.message.replace(/[\r\n]/g, ' ') };
    // A command cut short by the client going away is not a server error.
    if (!this.closed) this.logger.error({ err: error }, 'imap command failed');
    return { status: 'NO', code: 'SERVERBUG', text: 'Internal error, try again later' };
  }

  /**
   * Writes bytes, waiting when the client reads slower than we write. While a command runs the
   * socket is corked: its untagged responses (one per message of a FETCH) and the tagged answer
   * leave together when it ends, in one system call instead of one each (on loopback, writes were
   * a third of the imap process's CPU in bench:imap --mix). IDLE's pushes go out at once.
   */
  async write(data: string | Buffer): Promise<void> {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(data);
    if (this.idling || !this.busy) this.flush();
    if (this.socket.writableLength > WRITE_HIGH_WATER) {
      this.flush();
      await drained(this.socket);
      if (this.busy && !this.idling) this.cork();
    }
  }

  private cork(): void {
    if (this.corked || this.socket.destroyed) return;
    this.socket.cork();
    this.corked = true;
  }

  private flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  async writeLines(lines: string[]): Promise<void> {
    if (lines.length) await this.write(lines.join('\r\n') + '\r\n');
  }

  authenticated(user: ImapUser): void {
    this.user = user;
    this.state = 'authenticated';
    this.socket.setTimeout(this.deps.options.idleTimeoutMs);
    this.logger.info({ user: user.address }, 'imap login');
  }

  /**
   * Makes `folder` the selected one and starts listening for its changes. `mark` (the
   * notifier's, taken before the folder was read) tells whether anything may have changed since
   * the read; without it, the first sync reads the folder.
   */
  select(folder: SelectedFolder, mark?: number): void {
    // The client may have gone while SELECT waited on the database: take no feed for nobody.
    if (this.closed) return;
    this.deselect();
    this.selected = folder;
    this.state = 'selected';
    const unchanged = mark !== undefined && !this.storage.changedSince(folder.folderId, mark);
    const feed = this.deps.feeds.acquire(this.user!, folder.folderId, folder.knownModseq, unchanged ? { uidValidity: folder.uidValidity } : undefined);
    // What happened between the read and now is told at the first sync (a feed started without
    // a read is behind only when a change of this process has advanced it since).
    folder.dirty = feed.behind(folder.knownModseq);
    const listener = () => {
      folder.dirty = true;
      if (this.idling) {
        this.syncSelected({ expunge: true, force: false }).catch((error: unknown) => {
          // A database hiccup during IDLE ends this session, never the process.
          this.logger.warn({ err: error }, 'imap idle sync failed; closing the session');
          this.close();
        });
      }
    };
    feed.listeners.add(listener);
    folder.feed = feed;
    this.unwatch = () => {
      feed.listeners.delete(listener);
      folder.feed = null;
      this.deps.feeds.release(feed);
    };
  }

  deselect(): void {
    this.unwatch?.();
    this.unwatch = null;
    this.selected = null;
    if (this.state === 'selected') this.state = 'authenticated';
  }

  /** Tells the client what changed in the selected folder (one sync at a time). */
  syncSelected(options: { expunge: boolean; force: boolean }): Promise<void> {
    const run = async () => {
      const folder = this.selected;
      if (!folder || this.closed || (!folder.dirty && !options.force)) return;
      const lines = await folder.sync(this.storage, this.user!, { expunge: options.expunge, condstore: this.condstore, qresync: this.qresync, force: options.force });
      if (lines === null) {
        await this.write('* BYE The selected folder was deleted or renamed\r\n');
        this.close();
        return;
      }
      await this.writeLines(lines);
    };
    this.syncing = this.syncing.then(run, run);
    return this.syncing;
  }

  /** STARTTLS: everything the client sent after the command is discarded (RFC 3207 style). */
  async startTls(): Promise<void> {
    const context = await this.deps.secureContext();
    const secure = upgradeToTls(this.socket, context);
    this.socket = secure;
    this.secure = true;
    this.input = this.newInput(secure);
    this.attach(secure);
    secure.setTimeout(this.deps.options.preauthTimeoutMs);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.state = 'logout';
    this.deselect();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.input.wake();
    this.onClose(this);
    this.logger.debug('imap session closed');
  }

  /**
   * Server shutdown: a command in flight is finished and answered first (an APPEND stored but
   * never confirmed would be sent again), then BYE and close; IDLE only waits for the client, so
   * an idling session is told at once. `finished` settles when the session is done.
   */
  async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.closed || (this.busy && !this.idling)) return;
    await this.write('* BYE Server shutting down\r\n');
    this.close();
  }
}
