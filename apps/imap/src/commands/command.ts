import type { ParsedCommand } from '../protocol/command-parser';
import type { CommandSession, SessionState } from '../session/command-session';

export interface CommandResult {
  status: 'OK' | 'NO' | 'BAD';
  /** A response code without brackets: `READ-WRITE`, `APPENDUID 5 12`. */
  code?: string;
  text: string;
  /** Runs after the tagged answer is written (STARTTLS negotiates only then). */
  after?: () => Promise<void>;
  /** The answer must not be preceded by folder updates (LOGOUT, failed SELECT). */
  skipSync?: boolean;
}

export interface CommandHandler {
  states: SessionState[];
  run(session: CommandSession, command: ParsedCommand): Promise<CommandResult>;
  /** False while the command numbers messages by sequence (FETCH, STORE, SEARCH: RFC 3501 7.4.1). */
  expungeAllowed?: (command: ParsedCommand) => boolean;
  /** Always read the folder's changes afterwards (NOOP, CHECK), not only when notified. */
  forceSync?: boolean;
}

export const ANY: SessionState[] = ['not-authenticated', 'authenticated', 'selected'];
export const AUTHENTICATED: SessionState[] = ['authenticated', 'selected'];
export const SELECTED: SessionState[] = ['selected'];

export const ok = (text: string, code?: string): CommandResult => ({ status: 'OK', text, code });
export const no = (text: string, code?: string): CommandResult => ({ status: 'NO', text, code });
export const bad = (text: string): CommandResult => ({ status: 'BAD', text });
