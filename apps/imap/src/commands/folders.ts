import { DomainError } from '@mailroom/common';
import { folderNameProblem, type FolderInfo } from '@mailroom/mailstore';
import { Args, ParseError, literalBytes, tokenText, type Token } from '../protocol/command-parser';
import { formatSequenceSet, inRanges, parseSequenceSet, type SequenceRange } from '../protocol/sequence-set';
import { decodeMailboxName, encodeMailboxName, normalizeFolderName } from '../protocol/mailbox-name';
import { ResponseBuilder, astring } from '../protocol/response-writer';
import type { CommandSession } from '../session/command-session';
import { SYSTEM_FLAGS, SelectedFolder } from '../session/selected-folder';
import { AUTHENTICATED, no, ok, type CommandHandler, type CommandResult } from './command';
import { parseFlagList } from './flags';

/** A folder name argument: modified UTF-7 decoded, INBOX in any case made INBOX. */
export function folderArg(args: Args, what = 'folder name'): string {
  return normalizeFolderName(decodedName(args.astring(what), what));
}

/**
 * Decodes a name or pattern from the wire. Modified UTF-7 can spell any character: `&AAA-` is
 * a NUL, which no name can hold, refused here as it is when sent as it is. Other control
 * characters can be stored but no folder has them (CREATE refuses them), so those names are
 * simply not found.
 */
function decodedName(wire: string, what: string): string {
  const name = decodeMailboxName(wire);
  if (name.includes('\0')) throw new ParseError(`${what} contains a NUL`);
  return name;
}

/**
 * Where APPEND, COPY or MOVE found no folder: TRYCREATE invites the client to CREATE it and try
 * again (RFC 3501 6.3.11), so a name CREATE would refuse gets CANNOT with the reason instead.
 */
export function missingTarget(name: string): CommandResult {
  const problem = name === 'INBOX' ? null : folderNameProblem(name);
  return problem ? no(`${problem}: ${JSON.stringify(name.slice(0, 100))}`, 'CANNOT') : no(`no folder named ${name}`, 'TRYCREATE');
}

const quotedName = (name: string) => new ResponseBuilder().string(encodeMailboxName(name)).build().toString('utf8');

function selectCommand(readOnly: boolean): CommandHandler {
  return {
    states: AUTHENTICATED,
    async run(session, command) {
      const args = new Args(command.args);
      const name = folderArg(args);
      const params = args.optionalList();
      args.end();
      let qresync: { uidValidity: number; modseq: number; known: SequenceRange[] | null } | null = null;
      const paramList = params ?? [];
      for (let i = 0; i < paramList.length; i++) {
        const value = tokenText(paramList[i], 'select parameter').toUpperCase();
        if (value === 'CONDSTORE') session.condstore = true;
        else if (value === 'QRESYNC' && session.qresync && paramList[i + 1]?.type === 'list') qresync = parseQresync((paramList[++i] as { items: Token[] }).items);
        else throw new ParseError(`unknown SELECT parameter ${value.slice(0, 20)}`);
      }
      // A failed SELECT leaves no folder selected (RFC 3501 6.3.1); RFC 7162 wants [CLOSED] said.
      if (session.selected) await session.write('* OK [CLOSED] Previous folder closed\r\n');
      session.deselect();
      const user = session.user!;
      const folder = await session.storage.findFolder(user, name);
      const snapshot = folder && (await session.storage.snapshot(user, folder.id));
      if (!folder || !snapshot) return { ...no(`no folder named ${name}`, 'NONEXISTENT'), skipSync: true };
      const selected = new SelectedFolder(folder.id, name, readOnly, snapshot.uidValidity, snapshot.uids, snapshot.highestModseq);
      if (readOnly) selected.markRecentFrom(snapshot.recentFrom);
      else if (snapshot.recentFrom < snapshot.uidNext) {
        // Only when some message is still \Recent for nobody: the claim locks the folder row.
        const claim = await session.storage.claimRecent(user, folder.id);
        selected.claimRecent(claim.from, claim.to);
      }
      const keywords = await session.storage.keywords(user, folder.id);
      const firstUnseen = snapshot.firstUnseenUid;
      const flags = [...SYSTEM_FLAGS, ...keywords.map(astring)].join(' ');
      const lines = [
        `* FLAGS (${flags})`,
        `* OK [PERMANENTFLAGS (${readOnly ? '' : `${flags} \\*`})] Flags permitted`,
        `* ${selected.exists} EXISTS`,
        `* ${selected.recentCount} RECENT`,
      ];
      const unseenSeq = firstUnseen === null ? 0 : selected.seqOf(firstUnseen);
      if (unseenSeq) lines.push(`* OK [UNSEEN ${unseenSeq}] First unseen`);
      lines.push(`* OK [UIDVALIDITY ${snapshot.uidValidity}] UIDs valid`, `* OK [UIDNEXT ${snapshot.uidNext}] Predicted next UID`, `* OK [HIGHESTMODSEQ ${snapshot.highestModseq}] Highest`);
      if (qresync && qresync.uidValidity === snapshot.uidValidity) for (const line of await resynchronize(session, selected, qresync.modseq, qresync.known)) lines.push(line);
      await session.writeLines(lines);
      // Changes between the snapshot and the start of watching are caught by a first sync.
      selected.dirty = true;
      session.select(selected);
      return ok(`${readOnly ? 'EXAMINE' : 'SELECT'} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
    },
  };
}

/** QRESYNC parameters: `(uidvalidity modseq [known-uids [seq-match-data]])`; the last is a hint we skip. */
function parseQresync(items: Token[]): { uidValidity: number; modseq: number; known: SequenceRange[] | null } {
  const args = new Args(items);
  const uidValidity = args.number('UIDVALIDITY');
  const modseq = args.number('MODSEQ');
  const known = args.peek()?.type === 'atom' ? parseSequenceSet(args.atom('known UIDs'), 0xffffffff) : null;
  args.optionalList();
  args.end();
  return { uidValidity, modseq, known };
}

/** What changed since the client's MODSEQ: VANISHED (EARLIER) for expunges, FETCH for flag changes. */
export async function resynchronize(session: CommandSession, folder: SelectedFolder, modseq: number, known: SequenceRange[] | null): Promise<string[]> {
  const changes = await session.storage.changesSince(session.user!, folder.folderId, modseq);
  if (!changes) return [];
  const lines: string[] = [];
  const vanished = changes.expunged.map((e) => e.uid).filter((uid) => !known || inRanges(known, uid));
  if (vanished.length) lines.push(`* VANISHED (EARLIER) ${formatSequenceSet(vanished)}`);
  for (const change of changes.changed) {
    const seq = folder.seqOf(change.uid);
    if (seq && change.modseq <= folder.knownModseq) lines.push(`* ${seq} FETCH (UID ${change.uid} FLAGS (${folder.flagList(change.uid, change.flags)}) MODSEQ (${change.modseq}))`);
  }
  return lines;
}

export const SELECT = selectCommand(false);
export const EXAMINE = selectCommand(true);

export const CREATE: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    const args = new Args(command.args);
    let name = folderArg(args);
    args.end();
    // A trailing separator declares that the folder will hold others (RFC 3501 6.3.3): ignored.
    // Only one: `a//` still has an empty level.
    name = name.replace(/\/$/, '');
    if (name === 'INBOX') return no('INBOX exists', 'ALREADYEXISTS');
    await session.storage.createFolder(session.user!, name);
    return ok('CREATE completed');
  },
};

export const DELETE: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    const args = new Args(command.args);
    const name = folderArg(args);
    args.end();
    await session.storage.deleteFolder(session.user!, name);
    if (session.selected?.name === name) session.deselect();
    return ok('DELETE completed');
  },
};

export const RENAME: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    const args = new Args(command.args);
    const from = folderArg(args, 'existing folder name');
    const to = folderArg(args, 'new folder name').replace(/\/$/, '');
    args.end();
    if (!(await session.storage.findFolder(session.user!, from))) return no(`no folder named ${from}`, 'NONEXISTENT');
    if (await session.storage.findFolder(session.user!, to)) return no(`${to} exists`, 'ALREADYEXISTS');
    await session.storage.renameFolder(session.user!, from, to);
    return ok('RENAME completed');
  },
};

function subscription(subscribed: boolean): CommandHandler {
  return {
    states: AUTHENTICATED,
    async run(session, command) {
      const args = new Args(command.args);
      const name = folderArg(args);
      args.end();
      await session.storage.setSubscribed(session.user!, name, subscribed);
      return ok(`${subscribed ? 'SUBSCRIBE' : 'UNSUBSCRIBE'} completed`);
    },
  };
}

export const SUBSCRIBE = subscription(true);
export const UNSUBSCRIBE = subscription(false);

/**
 * `*` matches anything, `%` anything but the separator (RFC 3501 6.3.8). Matched by dynamic
 * programming over (pattern, name), O(pattern × name) whatever the wildcards: a regex of many
 * wildcards backtracked for minutes. Runs of wildcards collapse first; a pattern longer than any
 * folder name could need matches nothing.
 */
export function patternMatcher(pattern: string): (name: string) => boolean {
  const normalized = normalizeFolderName(pattern.replace(/^inbox(?=$|\/)/i, 'INBOX')).replace(/[*%]{2,}/g, (run) => (run.includes('*') ? '*' : '%'));
  if (normalized.length > 1024) return () => false;
  return (name) => wildcardMatch(normalized, name);
}

function wildcardMatch(pattern: string, name: string): boolean {
  const n = name.length;
  // row[j]: the pattern so far matches name[0, j).
  let row = new Uint8Array(n + 1);
  row[0] = 1;
  for (const c of pattern) {
    const next = new Uint8Array(n + 1);
    if (c === '*') {
      for (let j = 0, any = 0; j <= n; j++) next[j] = any = any | row[j]!;
    } else if (c === '%') {
      for (let j = 0, any = 0; j <= n; j++) {
        if (j > 0 && name[j - 1] === '/') any = 0;
        next[j] = any = any | row[j]!;
      }
    } else {
      for (let j = 1; j <= n; j++) next[j] = row[j - 1]! & (name[j - 1] === c ? 1 : 0);
    }
    row = next;
  }
  return row[n] === 1;
}

interface ListRequest {
  patterns: string[];
  subscribedOnly: boolean;
  specialUseOnly: boolean;
  returnSubscribed: boolean;
  lsub: boolean;
}

async function list(session: CommandSession, request: ListRequest, reference: string): Promise<void> {
  const command = request.lsub ? 'LSUB' : 'LIST';
  if (request.patterns.length === 1 && request.patterns[0] === '') {
    await session.write(`* ${command} (\\Noselect) "/" ""\r\n`);
    return;
  }
  const folders = await session.storage.listFolders(session.user!);
  const names = new Set(folders.map((f) => f.name));
  const matchers = request.patterns.map((p) => patternMatcher(decodedName(reference + p, 'mailbox pattern')));
  const lines: string[] = [];
  for (const folder of folders) {
    if (!matchers.some((m) => m(folder.name))) continue;
    if ((request.subscribedOnly || request.lsub) && !folder.subscribed) continue;
    if (request.specialUseOnly && !folder.specialUse) continue;
    lines.push(`* ${command} (${attributes(folder, names, request).join(' ')}) "/" ${quotedName(folder.name)}`);
  }
  await session.writeLines(lines);
}

function attributes(folder: FolderInfo, names: Set<string>, request: ListRequest): string[] {
  const attrs: string[] = [];
  if (!request.lsub) {
    const prefix = folder.name + '/';
    attrs.push([...names].some((n) => n.startsWith(prefix)) ? '\\HasChildren' : '\\HasNoChildren');
    if ((request.returnSubscribed || request.subscribedOnly) && folder.subscribed) attrs.push('\\Subscribed');
  }
  if (folder.specialUse) attrs.push(folder.specialUse);
  return attrs;
}

const listTexts = (token: Token, what: string) => (token.type === 'list' ? token.items.map((t) => tokenText(t, what).toUpperCase()) : [tokenText(token, what).toUpperCase()]);

/** LIST with the RFC 5258 extended syntax: selection options, several patterns, RETURN options. */
export const LIST: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    const args = new Args(command.args);
    const selection = args.optionalList()?.map((t) => tokenText(t, 'selection option').toUpperCase()) ?? [];
    const reference = decodedName(args.astring('reference'), 'reference');
    const patternToken = args.next('mailbox pattern');
    const patterns = patternToken.type === 'list' ? patternToken.items.map((t) => tokenText(t, 'pattern')) : [tokenText(patternToken, 'pattern')];
    let returns: string[] = [];
    if (args.remaining) {
      if (args.atom('RETURN').toUpperCase() !== 'RETURN') throw new ParseError('expected RETURN');
      returns = listTexts({ type: 'list', items: args.list('return options') }, 'return option');
    }
    args.end();
    for (const option of selection) if (!['SUBSCRIBED', 'SPECIAL-USE', 'REMOTE', 'RECURSIVEMATCH'].includes(option)) throw new ParseError(`unknown selection option ${option.slice(0, 20)}`);
    if (selection.includes('RECURSIVEMATCH') && selection.length === 1) throw new ParseError('RECURSIVEMATCH needs another selection option');
    await list(
      session,
      {
        patterns,
        subscribedOnly: selection.includes('SUBSCRIBED'),
        specialUseOnly: selection.includes('SPECIAL-USE'),
        returnSubscribed: returns.includes('SUBSCRIBED'),
        lsub: false,
      },
      reference,
    );
    return ok('LIST completed');
  },
};

export const LSUB: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    const args = new Args(command.args);
    const reference = decodedName(args.astring('reference'), 'reference');
    const pattern = args.astring('mailbox pattern');
    args.end();
    await list(session, { patterns: [pattern], subscribedOnly: true, specialUseOnly: false, returnSubscribed: false, lsub: true }, reference);
    return ok('LSUB completed');
  },
};

const STATUS_ITEMS = ['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ'] as const;

export const STATUS: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    const args = new Args(command.args);
    const name = folderArg(args);
    const items = args.list('status items').map((t) => tokenText(t, 'status item').toUpperCase());
    args.end();
    if (!items.length) throw new ParseError('empty status item list');
    for (const item of items) if (!(STATUS_ITEMS as readonly string[]).includes(item)) throw new ParseError(`unknown status item ${item.slice(0, 20)}`);
    const status = await session.storage.status(session.user!, name);
    if (!status) return no(`no folder named ${name}`, 'NONEXISTENT');
    const values: Record<string, number> = {
      MESSAGES: status.messages,
      RECENT: status.recent,
      UIDNEXT: status.uidNext,
      UIDVALIDITY: status.uidValidity,
      UNSEEN: status.unseen,
      HIGHESTMODSEQ: status.highestModseq,
    };
    if (items.includes('HIGHESTMODSEQ')) session.condstore = true;
    await session.write(`* STATUS ${quotedName(name)} (${items.map((i) => `${i} ${values[i]}`).join(' ')})\r\n`);
    return ok('STATUS completed');
  },
};

export const APPEND: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    const args = new Args(command.args);
    const name = folderArg(args);
    const flags = args.peek()?.type === 'list' ? parseFlagList(args.list('flags')) : [];
    let date: Date | undefined;
    if (args.remaining > 1) date = parseDateTime(args.astring('date-time'));
    const message = literalBytes(args.next('message'), 'the message');
    args.end();
    if (!message.length) return no('empty message', 'CANNOT');
    if (message.length > session.deps.maxAppendSize) return no('message too large', 'TOOBIG');
    const folder = await session.storage.findFolder(session.user!, name);
    if (!folder) return missingTarget(name);
    try {
      const result = await session.storage.append(session.user!, name, message, flags, date);
      return ok('APPEND completed', `APPENDUID ${result.uidValidity} ${result.uid}`);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'folder_not_found') return missingTarget(name);
      throw error;
    }
  },
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** RFC 3501 date-time: `" 7-Feb-1994 21:52:25 -0800"`. */
export function parseDateTime(text: string): Date {
  const match = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  const month = match ? MONTHS.indexOf(match[2].toLowerCase()) : -1;
  if (!match || month === -1) throw new ParseError(`bad date-time ${text.slice(0, 30)}`);
  const [, day, , year, hh, mm, ss, sign, zh, zm] = match;
  const offset = (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm));
  const utc = Date.UTC(Number(year), month, Number(day), Number(hh), Number(mm), Number(ss)) - offset * 60_000;
  const date = new Date(utc);
  if (Number.isNaN(date.getTime())) throw new ParseError('bad date-time');
  return date;
}
