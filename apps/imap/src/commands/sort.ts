import type { EnvelopeAddress } from '@mailroom/mime';
import { asciiCasemap, baseSubject, headerValue, parseHeaderFields } from '@mailroom/mime';
import type { StoredMessage } from '@mailroom/mailstore';
import { Args, ParseError, tokenText, type Token } from '../protocol/command-parser';
import { parseSearch, type SearchKey } from '../protocol/search-query';
import type { CommandSession } from '../session/command-session';
import { ok, type CommandResult } from './command';
import { messageBatches } from './fetch';
import { findMatches, mentionsModseq, refuseCharset } from './search';

/** SORT and THREAD (RFC 5256) over the messages a search program selects. */

const SORT_KEYS = ['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO'] as const;
type SortKey = (typeof SORT_KEYS)[number];
export const THREAD_ALGORITHMS = ['ORDEREDSUBJECT', 'REFERENCES'];

/** The charset and search program that follow the criteria or the algorithm, or the answer refusing the charset. */
function searchProgram(session: CommandSession, tokens: Token[]): { program: SearchKey } | { refused: CommandResult } {
  const folder = session.selected!;
  if (!tokens.length) throw new ParseError('missing charset');
  try {
    // The charset is required here (RFC 5256): parseSearch reads it as a CHARSET argument.
    return { program: parseSearch([{ type: 'atom', value: 'CHARSET' }, ...tokens], { messages: folder.exists, largestUid: folder.largestUid, saved: folder.saved }) };
  } catch (error) {
    return { refused: refuseCharset(error) };
  }
}

/** Matching messages with what sorting and threading read: ENVELOPE, dates, sizes; headers when asked. */
async function load(session: CommandSession, key: SearchKey, headers: boolean): Promise<Array<{ seq: number; message: StoredMessage; references?: string[] }>> {
  const folder = session.selected!;
  const uids = (await findMatches(session, folder, key)).map((m) => m.uid);
  const out: Array<{ seq: number; message: StoredMessage; references?: string[] }> = [];
  for await (const group of messageBatches(session, uids, headers)) {
    const rows = await session.storage.messages(session.user!, folder.folderId, group, { summary: true, structure: true, raw: headers });
    for (const message of rows) {
      const seq = folder.seqOf(message.uid);
      if (!seq) continue;
      let references: string[] | undefined;
      if (headers && message.raw) {
        const fields = parseHeaderFields(message.raw, 0, message.bodyStructure?.bodyStart ?? message.raw.length);
        references = messageIds(headerValue(fields, 'references') ?? '');
        if (!references.length) references = messageIds(headerValue(fields, 'in-reply-to') ?? '').slice(0, 1);
        message.raw = undefined;
      }
      out.push({ seq, message, references });
    }
  }
  return out;
}

const messageIds = (value: string): string[] => value.match(/<[^<>\s]+>/g) ?? [];
const sentTime = (m: StoredMessage) => (m.sentDate ?? m.internalDate).getTime();
const firstMailbox = (list: EnvelopeAddress[] | null | undefined) => asciiCasemap(list?.find((a) => a.host !== null)?.mailbox ?? '');

function sortValue(message: StoredMessage, key: SortKey): string | number {
  const envelope = message.envelope;
  switch (key) {
    case 'ARRIVAL':
      return message.internalDate.getTime();
    case 'DATE':
      return sentTime(message);
    case 'SIZE':
      return message.size;
    case 'SUBJECT':
      return asciiCasemap(baseSubject(envelope?.subject).subject);
    case 'FROM':
      return firstMailbox(envelope?.from);
    case 'CC':
      return firstMailbox(envelope?.cc);
    case 'TO':
      return firstMailbox(envelope?.to);
  }
}

const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

async function sort(session: CommandSession, args: Args, byUid: boolean): Promise<CommandResult> {
  const criteria = args.list('sort criteria');
  const keys: Array<{ key: SortKey; reverse: boolean }> = [];
  for (let i = 0; i < criteria.length; i++) {
    let name = tokenText(criteria[i], 'sort key').toUpperCase();
    const reverse = name === 'REVERSE';
    if (reverse) name = criteria[++i] ? tokenText(criteria[i], 'sort key').toUpperCase() : '';
    if (!(SORT_KEYS as readonly string[]).includes(name)) throw new ParseError(`unknown sort key ${name.slice(0, 20) || 'after REVERSE'}`);
    keys.push({ key: name as SortKey, reverse });
  }
  if (!keys.length) throw new ParseError('empty sort criteria');
  const parsed = searchProgram(session, args.rest());
  if ('refused' in parsed) return parsed.refused;
  const { program } = parsed;
  if (mentionsModseq(program)) session.condstore = true;
  const rows = (await load(session, program, false)).map((r) => ({ ...r, values: keys.map(({ key }) => sortValue(r.message, key)) }));
  // Ties keep mailbox order (RFC 5256 3), whatever REVERSE says.
  rows.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const order = compare(a.values[i], b.values[i]);
      if (order) return keys[i].reverse ? -order : order;
    }
    return a.seq - b.seq;
  });
  await session.write(`* SORT${rows.map((r) => ` ${byUid ? r.message.uid : r.seq}`).join('')}\r\n`);
  return ok(`${byUid ? 'UID SORT' : 'SORT'} completed`);
}

interface Node {
  /** Null for a dummy (a message referred to but not among those threaded). */
  row: { seq: number; message: StoredMessage } | null;
  parent: Node | null;
  children: Node[];
}

/** Date and mailbox order of a node; a dummy sorts as its first child. */
function sortKeyOf(node: Node): [number, number] {
  const row = node.row ?? node.children[0]?.row;
  return row ? [sentTime(row.message), row.seq] : [0, 0];
}

function sortSiblings(nodes: Node[]): void {
  for (const node of nodes) sortSiblings(node.children);
  nodes.sort((a, b) => {
    const [da, sa] = sortKeyOf(a);
    const [db, sb] = sortKeyOf(b);
    return da - db || sa - sb;
  });
}

function format(node: Node, byUid: boolean): string {
  const id = node.row ? String(byUid ? node.row.message.uid : node.row.seq) : '';
  const children = node.children.length === 1 && node.row ? ` ${format(node.children[0], byUid)}` : node.children.map((c) => `(${format(c, byUid)})`).join('');
  return node.row && node.children.length > 1 ? `${id} ${children}` : `${id}${children}`;
}

function orderedSubject(rows: Array<{ seq: number; message: StoredMessage }>): Node[] {
  const sorted = rows
    .map((row) => ({ row, subject: asciiCasemap(baseSubject(row.message.envelope?.subject).subject) }))
    .sort((a, b) => compare(a.subject, b.subject) || sentTime(a.row.message) - sentTime(b.row.message) || a.row.seq - b.row.seq);
  const roots: Node[] = [];
  let current: { subject: string; node: Node } | null = null;
  for (const { row, subject } of sorted) {
    const node: Node = { row, parent: null, children: [] };
    if (current && current.subject === subject) {
      node.parent = current.node;
      current.node.children.push(node);
    } else {
      current = { subject, node };
      roots.push(node);
    }
  }
  // Children in date order; threads by the date of their first message (RFC 5256 3).
  sortSiblings(roots);
  return roots;
}

/** REFERENCES (RFC 5256 3, after Jamie Zawinski's algorithm). */
function references(rows: Array<{ seq: number; message: StoredMessage; references?: string[] }>): Node[] {
  const byId = new Map<string, Node>();
  const container = (id: string): Node => {
    let node = byId.get(id);
    if (!node) byId.set(id, (node = { row: null, parent: null, children: [] }));
    return node;
  };
  const isAncestor = (maybe: Node, of: Node) => {
    for (let n: Node | null = of; n; n = n.parent) if (n === maybe) return true;
    return false;
  };
  const link = (parent: Node, child: Node) => {
    if (child.parent) child.parent.children = child.parent.children.filter((c) => c !== child);
    child.parent = parent;
    parent.children.push(child);
  };
  let fake = 0;
  for (const row of rows) {
    // (1) A missing or repeated Message-ID gets a unique one.
    let id = messageIds(row.message.envelope?.messageId ?? '')[0] ?? null;
    if (!id || byId.get(id)?.row) id = `<fake-${++fake}@mailroom>`;
    const node = container(id);
    node.row = row;
    const refs = (row.references ?? []).filter((r) => r !== id);
    // (1A) each reference the parent of the next, unless already linked or a loop would form.
    for (let i = 0; i + 1 < refs.length; i++) {
      const parent = container(refs[i]);
      const child = container(refs[i + 1]);
      if (!child.parent && parent !== child && !isAncestor(child, parent)) link(parent, child);
    }
    // (1B) the message is the child of its last reference (replacing a parent guessed before).
    const last = refs.length ? container(refs[refs.length - 1]) : null;
    if (node.parent && node.parent !== last) {
      node.parent.children = node.parent.children.filter((c) => c !== node);
      node.parent = null;
    }
    if (last && !node.parent && last !== node && !isAncestor(node, last)) link(last, node);
  }
  // (2) roots, (4) dummies pruned: empty ones dropped, their children promoted (at the root only
  // when there is one child).
  const prune = (nodes: Node[], atRoot: boolean): Node[] => {
    const out: Node[] = [];
    for (const node of nodes) {
      node.children = prune(node.children, false);
      for (const child of node.children) child.parent = node;
      if (node.row || (atRoot && node.children.length > 1)) out.push(node);
      else for (const child of node.children) out.push(child);
    }
    return out;
  };
  let roots = prune([...byId.values()].filter((n) => !n.parent), true);
  for (const root of roots) root.parent = null;
  sortSiblings(roots);
  // (5) roots with the same base subject gathered.
  const subjectOf = (node: Node) => {
    const row = node.row ?? node.children[0]?.row;
    return row ? baseSubject(row.message.envelope?.subject) : { subject: '', reply: false };
  };
  const table = new Map<string, Node>();
  for (const root of roots) {
    const { subject } = subjectOf(root);
    if (!subject) continue;
    const key = asciiCasemap(subject);
    const held = table.get(key);
    if (!held || (held.row && !root.row) || (held.row && root.row && subjectOf(held).reply && !subjectOf(root).reply)) table.set(key, root);
  }
  const merged: Node[] = [];
  for (const root of roots) {
    const { subject, reply } = subjectOf(root);
    const held = subject ? table.get(asciiCasemap(subject)) : undefined;
    if (!held || held === root) {
      merged.push(root);
      continue;
    }
    if (!held.row && !root.row) {
      for (const child of root.children) link(held, child);
    } else if (!held.row) {
      link(held, root);
    } else if (!root.row) {
      // The held message goes under this dummy, which takes its place.
      const index = merged.indexOf(held);
      link(root, held);
      table.set(asciiCasemap(subject), root);
      if (index !== -1) merged[index] = root;
      else merged.push(root);
    } else if (reply && !subjectOf(held).reply) {
      link(held, root);
    } else {
      const dummy: Node = { row: null, parent: null, children: [] };
      const index = merged.indexOf(held);
      link(dummy, held);
      link(dummy, root);
      table.set(asciiCasemap(subject), dummy);
      if (index !== -1) merged[index] = dummy;
      else merged.push(dummy);
    }
  }
  roots = merged;
  // (6) siblings by sent date, then the threads by their first message.
  sortSiblings(roots);
  return roots;
}

async function thread(session: CommandSession, args: Args, byUid: boolean): Promise<CommandResult> {
  const algorithm = args.atom('thread algorithm').toUpperCase();
  if (!THREAD_ALGORITHMS.includes(algorithm)) throw new ParseError(`unknown thread algorithm ${algorithm.slice(0, 20)}`);
  const parsed = searchProgram(session, args.rest());
  if ('refused' in parsed) return parsed.refused;
  const { program } = parsed;
  const rows = await load(session, program, algorithm === 'REFERENCES');
  const roots = algorithm === 'REFERENCES' ? references(rows) : orderedSubject(rows);
  await session.write(`* THREAD${roots.length ? ' ' : ''}${roots.map((r) => `(${format(r, byUid)})`).join('')}\r\n`);
  return ok(`${byUid ? 'UID THREAD' : 'THREAD'} completed`);
}

export const sortMessages = sort;
export const threadMessages = thread;
