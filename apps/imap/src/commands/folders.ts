import { folderNameProblem } from '@mailroom/mailstore';
import { Args, ParseError, tokenText, type Token } from '../protocol/command-parser';
import { formatSequenceSet, inRanges, parseSequenceSet, type SequenceRange } from '../protocol/sequence-set';
import { decodeMailboxName, encodeMailboxName, normalizeFolderName } from '../protocol/mailbox-name';
import { ResponseBuilder } from '../protocol/response-writer';
import type { CommandSession } from '../session/command-session';
import { SelectedFolder } from '../session/selected-folder';
import { AUTHENTICATED, no, ok, type CommandHandler, type CommandResult } from './command';

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
      // Taken before the read: whatever is announced after it may be missing from the snapshot.
      const mark = session.storage.changeMark();
      // Folder, snapshot, \Recent claim and keywords in one round trip.
      const opened = await session.storage.open(user, name, { claimRecent: !readOnly });
      if (!opened) return { ...no(`no folder named ${name}`, 'NONEXISTENT'), skipSync: true };
      const { snapshot } = opened;
      const selected = new SelectedFolder(opened.folderId, name, readOnly, snapshot.uidValidity, snapshot.uids, snapshot.highestModseq);
      if (readOnly) selected.markRecentFrom(snapshot.recentFrom);
      else if (opened.claim) selected.claimRecent(opened.claim.from, opened.claim.to);
      selected.announceKeywords(opened.keywords);
      const firstUnseen = snapshot.firstUnseenUid;
      const lines = [...selected.flagsResponses(), `* ${selected.exists} EXISTS`, `* ${selected.recentCount} RECENT`];
      const unseenSeq = firstUnseen === null ? 0 : selected.seqOf(firstUnseen);
      if (unseenSeq) lines.push(`* OK [UNSEEN ${unseenSeq}] First unseen`);
      lines.push(`* OK [UIDVALIDITY ${snapshot.uidValidity}] UIDs valid`, `* OK [UIDNEXT ${snapshot.uidNext}] Predicted next UID`, `* OK [HIGHESTMODSEQ ${snapshot.highestModseq}] Highest`);
      if (qresync && qresync.uidValidity === snapshot.uidValidity) for (const line of await resynchronize(session, selected, qresync.modseq, qresync.known)) lines.push(line);
      await session.writeLines(lines);
      session.select(selected, mark);
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
  /** Selection options (RFC 5258 3.1). */
  selectSubscribed: boolean;
  selectSpecialUse: boolean;
  recursiveMatch: boolean;
  /** Return options (RFC 5258 3.2, RFC 5819). */
  returnSubscribed: boolean;
  status: string[] | null;
}

const SELECTION_OPTIONS = ['SUBSCRIBED', 'SPECIAL-USE', 'REMOTE', 'RECURSIVEMATCH'];

/** The names above `name` in the hierarchy, nearest last: `a/b/c` -> `a`, `a/b`. */
function ancestors(name: string): string[] {
  const levels = name.split('/');
  const out: string[] = [];
  for (let i = 1; i < levels.length; i++) out.push(levels.slice(0, i).join('/'));
  return out;
}

function matcherOf(patterns: string[], reference: string): (name: string) => boolean {
  const matchers = patterns.map((p) => patternMatcher(decodedName(reference + p, 'mailbox pattern')));
  return (name) => matchers.some((m) => m(name));
}

/**
 * LIST (RFC 3501 6.3.8 with RFC 5258): existing folders, or with the SUBSCRIBED selection the
 * subscribed names, existing or not (`\NonExistent`). With RECURSIVEMATCH a name the pattern
 * matches is also listed, with CHILDINFO ("SUBSCRIBED"), when it has a subscribed inferior the
 * pattern does not match.
 */
async function list(session: CommandSession, request: ListRequest, reference: string): Promise<void> {
  if (request.patterns.length === 1 && request.patterns[0] === '') {
    await session.write('* LIST (\\Noselect) "/" ""\r\n');
    return;
  }
  const folders = await session.storage.listFolders(session.user!);
  const byName = new Map(folders.map((f) => [f.name, f]));
  const subscribed = new Set(request.selectSubscribed || request.returnSubscribed ? await session.storage.subscriptions(session.user!) : []);
  const matches = matcherOf(request.patterns, reference);
  const selected = (name: string) => (!request.selectSubscribed || subscribed.has(name)) && (!request.selectSpecialUse || Boolean(byName.get(name)?.specialUse));
  const candidates = new Set(byName.keys());
  if (request.selectSubscribed) for (const name of subscribed) candidates.add(name);
  const childInfo = new Set<string>();
  if (request.recursiveMatch && request.selectSubscribed) {
    for (const name of candidates) if (selected(name) && !matches(name)) for (const parent of ancestors(name)) if (matches(parent)) childInfo.add(parent);
  }
  for (const name of childInfo) candidates.add(name);
  const names = [...candidates].filter((name) => matches(name) && (selected(name) || childInfo.has(name))).sort();
  const sortedFolders = [...byName.keys()].sort();
  const hasChildren = (name: string) => {
    // The first folder name after `name/` in sorted order starts with it when any does.
    const prefix = `${name}/`;
    let lo = 0;
    let hi = sortedFolders.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedFolders[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    return lo < sortedFolders.length && sortedFolders[lo].startsWith(prefix);
  };
  const lines: string[] = [];
  for (const name of names) {
    const folder = byName.get(name);
    const attrs: string[] = [];
    if (!folder) attrs.push('\\NonExistent');
    else attrs.push(hasChildren(name) ? '\\HasChildren' : '\\HasNoChildren');
    if ((request.returnSubscribed || request.selectSubscribed) && subscribed.has(name)) attrs.push('\\Subscribed');
    if (folder?.specialUse) attrs.push(folder.specialUse);
    lines.push(`* LIST (${attrs.join(' ')}) "/" ${quotedName(name)}${childInfo.has(name) ? ' (CHILDINFO ("SUBSCRIBED"))' : ''}`);
    if (request.status && folder) {
      // RFC 5819: the STATUS of each selectable folder listed, right after its LIST.
      const line = await statusLine(session, name, request.status);
      if (line) lines.push(line);
    }
  }
  await session.writeLines(lines);
}

/** LIST with the RFC 5258 extended syntax: selection options, several patterns, RETURN options. */
export const LIST: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    const args = new Args(command.args);
    const selection = args.optionalList()?.map((t) => tokenText(t, 'selection option').toUpperCase()) ?? [];
    const reference = decodedName(args.astring('reference'), 'reference');
    const patternToken = args.next('mailbox pattern');
    const patterns = patternToken.type === 'list' ? patternToken.items.map((t) => tokenText(t, 'pattern')) : [tokenText(patternToken, 'pattern')];
    let returnSubscribed = false;
    let status: string[] | null = null;
    if (args.remaining) {
      if (args.atom('RETURN').toUpperCase() !== 'RETURN') throw new ParseError('expected RETURN');
      const options = args.list('return options');
      for (let i = 0; i < options.length; i++) {
        const option = tokenText(options[i], 'return option').toUpperCase();
        if (option === 'SUBSCRIBED') returnSubscribed = true;
        else if (option === 'STATUS' && options[i + 1]?.type === 'list') status = statusItems((options[++i] as { items: Token[] }).items);
        else if (option !== 'CHILDREN' && option !== 'SPECIAL-USE') throw new ParseError(`unknown return option ${option.slice(0, 20)}`);
      }
    }
    args.end();
    for (const option of selection) if (!SELECTION_OPTIONS.includes(option)) throw new ParseError(`unknown selection option ${option.slice(0, 20)}`);
    // RFC 5258 3.1: RECURSIVEMATCH alone (or with REMOTE only) is a syntax error.
    if (selection.includes('RECURSIVEMATCH') && !selection.some((o) => o === 'SUBSCRIBED' || o === 'SPECIAL-USE')) throw new ParseError('RECURSIVEMATCH needs another selection option than REMOTE');
    await list(
      session,
      {
        patterns,
        selectSubscribed: selection.includes('SUBSCRIBED'),
        selectSpecialUse: selection.includes('SPECIAL-USE'),
        recursiveMatch: selection.includes('RECURSIVEMATCH'),
        returnSubscribed,
        status,
      },
      reference,
    );
    return ok('LIST completed');
  },
};

/**
 * LSUB (RFC 3501 6.3.9): the subscribed names the pattern matches, folders or not; a name the
 * pattern matches that is not subscribed itself but has a subscribed inferior the pattern does
 * not match is listed with \Noselect (`LSUB "" a/%` with only `a/b/c` subscribed gives `a/b`).
 */
export const LSUB: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    const args = new Args(command.args);
    const reference = decodedName(args.astring('reference'), 'reference');
    const pattern = args.astring('mailbox pattern');
    args.end();
    if (pattern === '') {
      await session.write('* LSUB (\\Noselect) "/" ""\r\n');
      return ok('LSUB completed');
    }
    const subscribed = new Set(await session.storage.subscriptions(session.user!));
    const matches = matcherOf([pattern], reference);
    const entries = new Map<string, string>();
    for (const name of subscribed) {
      if (matches(name)) entries.set(name, '');
      else for (const parent of ancestors(name)) if (!subscribed.has(parent) && matches(parent)) entries.set(parent, '\\Noselect');
    }
    await session.writeLines([...entries.keys()].sort().map((name) => `* LSUB (${entries.get(name)}) "/" ${quotedName(name)}`));
    return ok('LSUB completed');
  },
};

const STATUS_ITEMS = ['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ'] as const;

function statusItems(tokens: Token[]): string[] {
  const items = tokens.map((t) => tokenText(t, 'status item').toUpperCase());
  if (!items.length) throw new ParseError('empty status item list');
  for (const item of items) if (!(STATUS_ITEMS as readonly string[]).includes(item)) throw new ParseError(`unknown status item ${item.slice(0, 20)}`);
  return items;
}

/** `* STATUS name (...)`, or null when there is no such folder. */
async function statusLine(session: CommandSession, name: string, items: string[]): Promise<string | null> {
  const status = await session.storage.status(session.user!, name);
  if (!status) return null;
  const values: Record<string, number> = {
    MESSAGES: status.messages,
    RECENT: status.recent,
    UIDNEXT: status.uidNext,
    UIDVALIDITY: status.uidValidity,
    UNSEEN: status.unseen,
    HIGHESTMODSEQ: status.highestModseq,
  };
  if (items.includes('HIGHESTMODSEQ')) session.condstore = true;
  return `* STATUS ${quotedName(name)} (${items.map((i) => `${i} ${values[i]}`).join(' ')})`;
}

export const STATUS: CommandHandler = {
  states: AUTHENTICATED,
  async run(session, command) {
    const args = new Args(command.args);
    const name = folderArg(args);
    const items = statusItems(args.list('status items'));
    args.end();
    const line = await statusLine(session, name, items);
    if (!line) return no(`no folder named ${name}`, 'NONEXISTENT');
    await session.write(`${line}\r\n`);
    return ok('STATUS completed');
  },
};
