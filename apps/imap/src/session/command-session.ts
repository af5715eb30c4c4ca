import type { Logger } from '@mailroom/logger';
import type { ImapMetrics } from '../imap-metrics';
import type { LoginLimiter } from '../login-limiter';
import type { Frame } from '../protocol/command-reader';
import type { ImapStorage, ImapUser } from '../storage/imap-storage';
import type { SelectedFolder } from './selected-folder';

export type SessionState = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

/** What a command may use of the session's dependencies. */
export interface CommandSessionDeps {
  storage: ImapStorage;
  limiter: LoginLimiter;
  maxAppendSize: number;
  metrics: ImapMetrics;
}

/**
 * The session as the command handlers see it. The commands depend on this, the session on the
 * command registry, so neither imports the other's module and a new command cannot reach the
 * socket or the read loop.
 */
export interface CommandSession {
  readonly logger: Logger;
  readonly remoteAddress: string;
  readonly deps: CommandSessionDeps;
  readonly storage: ImapStorage;
  readonly secure: boolean;
  /** Plain-text login is allowed on a loopback connection; anywhere else only after TLS. */
  readonly loginAllowed: boolean;
  state: SessionState;
  user: ImapUser | null;
  selected: SelectedFolder | null;
  /** CONDSTORE is on once enabled or used (RFC 7162 3.1). */
  condstore: boolean;
  /** QRESYNC (RFC 7162 3.2), only once enabled: VANISHED replaces EXPUNGE. */
  qresync: boolean;
  readonly enabled: Set<string>;
  clientId: Record<string, string> | null;
  /** Set while IDLE runs: changes are pushed as they happen. */
  idling: boolean;
  capabilities(): string[];
  /** The next command from the client, or null once the connection is closed. */
  nextFrame(): Promise<Frame | null>;
  write(data: string | Buffer): Promise<void>;
  writeLines(lines: string[]): Promise<void>;
  authenticated(user: ImapUser): void;
  /** Makes `folder` the selected one and starts listening for its changes. */
  select(folder: SelectedFolder, mark?: number): void;
  deselect(): void;
  /** Tells the client what changed in the selected folder (one sync at a time). */
  syncSelected(options: { expunge: boolean; force: boolean }): Promise<void>;
  /** STARTTLS: everything the client sent after the command is discarded. */
  startTls(): Promise<void>;
}
