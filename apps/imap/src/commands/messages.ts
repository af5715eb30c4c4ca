import type { FlagOperation } from '@mailroom/mailstore';
import { Args, ParseError, tokenText, type ParsedCommand, type Token } from '../protocol/command-parser';
import { formatSequenceSet } from '../protocol/sequence-set';
import type { CommandSession } from '../session/command-session';
import { SELECTED, bad, no, ok, type CommandHandler, type CommandResult } from './command';
import { fetchMessages } from './fetch';
import { parseFlagList } from './flags';
import { folderArg, missingTarget } from './folders';
import { searchMessages } from './search';
import { sortMessages, threadMessages } from './sort';

export const CHECK: CommandHandler = {
  states: SELECTED,
  forceSync: true,
  async run(_session, command) {
    new Args(command.args).end();
    return ok('CHECK completed');
  },
};

/** CLOSE expunges silently (read-write only); UNSELECT (RFC 3691) does not. */
export const CLOSE: CommandHandler = {
  states: SELECTED,
  async run(session, command) {
    new Args(command.args).end();
    const folder = session.selected!;
    session.deselect();
    if (!folder.readOnly) await session.storage.expunge(session.user!, folder.folderId, folder.uids);
    return { ...ok('CLOSE completed'), skipSync: true };
  },
};

export const UNSELECT: CommandHandler = {
  states: SELECTED,
  async run(session, command) {
    new Args(command.args).end();
    session.deselect();
    return { ...ok('UNSELECT completed'), skipSync: true };
  },
};

async function expunge(session: CommandSession, uids: number[], byUid: boolean): Promise<CommandResult> {
  const folder = session.selected!;
  if (folder.readOnly) return no('folder is read-only', 'READ-ONLY');
  await session.storage.expunge(session.user!, folder.folderId, uids);
  folder.dirty = true;
  return ok(`${byUid ? 'UID EXPUNGE' : 'EXPUNGE'} completed`);
}

export const EXPUNGE: CommandHandler = {
  states: SELECTED,
  async run(session, command) {
    new Args(command.args).end();
    return expunge(session, [...session.selected!.uids], false);
  },
};

async function store(session: CommandSession, args: Args, byUid: boolean): Promise<CommandResult> {
  const folder = session.selected!;
  const set = args.atom('sequence set');
  let unchangedSince: number | undefined;
  const modifiers = args.optionalList();
  if (modifiers) {
    if (modifiers.length !== 2 || tokenText(modifiers[0], 'store modifier').toUpperCase() !== 'UNCHANGEDSINCE') throw new ParseError('unknown STORE modifier');
    const value = tokenText(modifiers[1], 'UNCHANGEDSINCE value');
    if (!/^\d{1,19}$/.test(value)) throw new ParseError('UNCHANGEDSINCE needs a number');
    unchangedSince = Number(value);
    session.condstore = true;
  }
  const item = /^([+-]?)FLAGS(\.SILENT)?$/i.exec(args.atom('store item'));
  if (!item) throw new ParseError('expected FLAGS, +FLAGS or -FLAGS');
  const rest = args.rest();
  const flagTokens: Token[] = rest.length === 1 && rest[0].type === 'list' ? rest[0].items : rest;
  if (rest.some((t) => t.type === 'list') && rest.length !== 1) throw new ParseError('bad flag list');
  // An empty list is valid (RFC 3501 `flag-list = "(" [flag *(SP flag)] ")"`): +FLAGS () changes nothing.
  const flags = parseFlagList(flagTokens);
  const operation: FlagOperation = item[1] === '+' ? 'add' : item[1] === '-' ? 'remove' : 'set';
  const silent = Boolean(item[2]);
  if (folder.readOnly) return no('folder is read-only', 'READ-ONLY');
  const uids = folder.resolve(folder.setRanges(set, byUid), byUid);
  const result = await session.storage.storeFlags(session.user!, { folderId: folder.folderId, uids, operation, flags, unchangedSince });
  const modified = new Set(result.modified);
  const lines: string[] = [];
  for (const message of result.messages) {
    // A keyword new to the client is announced first, .SILENT or not (RFC 3501 7.2.6).
    for (const line of folder.announceKeywords(message.flags)) lines.push(line);
    if (message.changed) folder.noteOwnFlagChange(message.uid, message.modseq);
    if (modified.has(message.uid)) continue;
    // .SILENT still reports MODSEQ of changed messages to a CONDSTORE client (RFC 7162 3.2).
    if (silent && !(session.condstore && message.changed)) continue;
    const seq = folder.seqOf(message.uid);
    if (!seq) continue;
    const parts = [];
    if (byUid || session.condstore) parts.push(`UID ${message.uid}`);
    if (!silent) parts.push(`FLAGS (${folder.flagList(message.uid, message.flags)})`);
    if (session.condstore) parts.push(`MODSEQ (${message.modseq})`);
    lines.push(`* ${seq} FETCH (${parts.join(' ')})`);
  }
  await session.writeLines(lines);
  if (modified.size) {
    const values = byUid ? [...modified] : [...modified].map((uid) => folder.seqOf(uid));
    return ok('Some messages were modified meanwhile', `MODIFIED ${formatSequenceSet(values)}`);
  }
  return ok(`${byUid ? 'UID STORE' : 'STORE'} completed`);
}

async function copy(session: CommandSession, args: Args, byUid: boolean, move: boolean): Promise<CommandResult> {
  const folder = session.selected!;
  const set = args.atom('sequence set');
  const target = folderArg(args, 'destination folder');
  args.end();
  if (move && folder.readOnly) return no('folder is read-only', 'READ-ONLY');
  const uids = folder.resolve(folder.setRanges(set, byUid), byUid);
  const destination = await session.storage.findFolder(session.user!, target);
  if (!destination) return missingTarget(target);
  const name = move ? 'MOVE' : 'COPY';
  if (!uids.length) return ok(`${name} completed (nothing to do)`);
  const result = await session.storage.copy(session.user!, folder.folderId, uids, destination.id, move);
  const copyuid = result.mapping.length ? `COPYUID ${result.uidValidity} ${formatSequenceSet(result.mapping.map(([from]) => from))} ${formatSequenceSet(result.mapping.map(([, to]) => to))}` : undefined;
  if (move) {
    // RFC 6851: COPYUID comes first as an untagged OK, then the EXPUNGEs.
    if (copyuid) await session.write(`* OK [${copyuid}] Moved\r\n`);
    folder.dirty = true;
    return ok(`${byUid ? 'UID MOVE' : 'MOVE'} completed`);
  }
  return ok(`${byUid ? 'UID COPY' : 'COPY'} completed`, copyuid);
}

export const FETCH: CommandHandler = {
  states: SELECTED,
  expungeAllowed: () => false,
  run: (session, command) => fetchMessages(session, new Args(command.args), false),
};

export const STORE: CommandHandler = {
  states: SELECTED,
  expungeAllowed: () => false,
  run: (session, command) => store(session, new Args(command.args), false),
};

export const SEARCH: CommandHandler = {
  states: SELECTED,
  expungeAllowed: () => false,
  run: (session, command) => searchMessages(session, new Args(command.args), false, command.tag),
};

export const SORT: CommandHandler = {
  states: SELECTED,
  expungeAllowed: () => false,
  run: (session, command) => sortMessages(session, new Args(command.args), false),
};

export const THREAD: CommandHandler = {
  states: SELECTED,
  expungeAllowed: () => false,
  run: (session, command) => threadMessages(session, new Args(command.args), false),
};

export const COPY: CommandHandler = {
  states: SELECTED,
  run: (session, command) => copy(session, new Args(command.args), false, false),
};

export const MOVE: CommandHandler = {
  states: SELECTED,
  run: (session, command) => copy(session, new Args(command.args), false, true),
};

/** UID FETCH/STORE/SEARCH/SORT/THREAD/COPY/MOVE/EXPUNGE: the same commands over UIDs (EXPUNGE may be told). */
export const UID: CommandHandler = {
  states: SELECTED,
  async run(session: CommandSession, command: ParsedCommand) {
    const args = new Args(command.args);
    const sub = args.atom('UID command').toUpperCase();
    switch (sub) {
      case 'FETCH':
        return fetchMessages(session, args, true);
      case 'STORE':
        return store(session, args, true);
      case 'SEARCH':
        return searchMessages(session, args, true, command.tag);
      case 'SORT':
        return sortMessages(session, args, true);
      case 'THREAD':
        return threadMessages(session, args, true);
      case 'COPY':
        return copy(session, args, true, false);
      case 'MOVE':
        return copy(session, args, true, true);
      case 'EXPUNGE': {
        const folder = session.selected!;
        const set = args.atom('sequence set');
        args.end();
        return expunge(session, folder.resolve(folder.setRanges(set, true), true), true);
      }
      default:
        return bad(`unknown UID command ${sub.slice(0, 20)}`);
    }
  },
};
