import { APPEND } from './append';
import { CREATE, DELETE, EXAMINE, LIST, LSUB, RENAME, SELECT, STATUS, SUBSCRIBE, UNSUBSCRIBE } from './folders';
import { AUTHENTICATE, LOGIN, STARTTLS } from './auth';
import type { CommandHandler } from './command';
import { CAPABILITY, ENABLE, ID, IDLE, LOGOUT, NAMESPACE, NOOP } from './general';
import { CHECK, CLOSE, COPY, EXPUNGE, FETCH, MOVE, SEARCH, SORT, STORE, THREAD, UID, UNSELECT } from './messages';

/** Every command the server knows, by upper-case name. */
export const COMMANDS: Record<string, CommandHandler> = {
  CAPABILITY,
  NOOP,
  LOGOUT,
  ID,
  STARTTLS,
  LOGIN,
  AUTHENTICATE,
  ENABLE,
  NAMESPACE,
  SELECT,
  EXAMINE,
  CREATE,
  DELETE,
  RENAME,
  SUBSCRIBE,
  UNSUBSCRIBE,
  LIST,
  LSUB,
  STATUS,
  APPEND,
  IDLE,
  CHECK,
  CLOSE,
  UNSELECT,
  EXPUNGE,
  SEARCH,
  SORT,
  THREAD,
  FETCH,
  STORE,
  COPY,
  MOVE,
  UID,
};
