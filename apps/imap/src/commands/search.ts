import { Args, ParseError, tokenText } from '../protocol/command-parser';
import { BadCharsetError, parseSearch, searchNeeds, type SearchKey } from '../protocol/search-query';
import { formatSequenceSet, inRanges, type SequenceRange } from '../protocol/sequence-set';
import type { CommandSession } from '../session/command-session';
import { searchFilter } from '../session/search-filter';
import { SearchMatcher } from '../session/search-matcher';
import type { SelectedFolder } from '../session/selected-folder';
import { no, ok, type CommandResult } from './command';
import { messageBatches } from './fetch';

const RETURN_OPTIONS = ['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE'];

/** A charset the search program names that we cannot match in becomes NO [BADCHARSET] (RFC 3501 6.4.4); any other error is thrown on. */
export function refuseCharset(error: unknown): CommandResult {
  if (error instanceof BadCharsetError) return no(`charset ${error.message} is not supported`, 'BADCHARSET (US-ASCII UTF-8)');
  throw error;
}

/**
 * SEARCH and UID SEARCH: the whole RFC 3501 grammar, plus MODSEQ (RFC 7162), OLDER and YOUNGER
 * (WITHIN, RFC 5032), `SEARCH RETURN (MIN MAX ALL COUNT)` answered by ESEARCH (RFC 4731), and
 * RETURN (SAVE) with `$` (SEARCHRES, RFC 5182).
 */
export async function searchMessages(session: CommandSession, args: Args, byUid: boolean, tag: string): Promise<CommandResult> {
  const folder = session.selected!;
  const tokens = args.rest();
  let returns: Set<string> | null = null;
  if (tokens[0]?.type === 'atom' && tokens[0].value.toUpperCase() === 'RETURN') {
    const options = tokens[1];
    if (options?.type !== 'list') throw new ParseError('RETURN needs a list of options');
    returns = new Set(options.items.map((t) => tokenText(t, 'return option').toUpperCase()));
    for (const option of returns) if (!RETURN_OPTIONS.includes(option)) throw new ParseError(`unknown SEARCH return option ${option.slice(0, 20)}`);
    // RETURN () is RETURN (ALL) (RFC 4731 3.1).
    if (!returns.size) returns.add('ALL');
    tokens.splice(0, 2);
  }
  // A failed SEARCH ... RETURN (SAVE) leaves `$` empty (RFC 5182 2.1); the old value is read first.
  const saved = folder.saved;
  if (returns?.has('SAVE')) folder.saved = [];
  let key: SearchKey;
  try {
    key = parseSearch(tokens, { messages: folder.exists, largestUid: folder.largestUid, saved });
  } catch (error) {
    return refuseCharset(error);
  }
  const usesModseq = mentionsModseq(key);
  if (usesModseq) session.condstore = true;
  const hits = await findMatches(session, folder, key);
  const name = byUid ? 'UID SEARCH' : 'SEARCH';
  const numbers = hits.map((m) => (byUid ? m.uid : folder.seqOf(m.uid)));
  const highest = hits.reduce((max, m) => Math.max(max, m.modseq), 0);
  if (!returns) {
    await session.write(`* SEARCH${numbers.map((n) => ` ${n}`).join('')}${usesModseq && hits.length ? ` (MODSEQ ${highest})` : ''}\r\n`);
    return ok(`${name} completed`);
  }
  const min = returns.has('MIN');
  const max = returns.has('MAX');
  if (returns.has('SAVE')) {
    // With MIN or MAX alone only those are saved (RFC 5182 2.4).
    const saveAll = (!min && !max) || returns.has('ALL') || returns.has('COUNT');
    const uids = hits.map((m) => m.uid);
    folder.saved = saveAll || !uids.length ? uids : [...new Set([...(min ? [uids[0]] : []), ...(max ? [uids[uids.length - 1]] : [])])];
    if (returns.size === 1) return ok(`${name} completed, result saved`);
  }
  let line = `* ESEARCH (TAG ${JSON.stringify(tag)})${byUid ? ' UID' : ''}`;
  if (numbers.length) {
    if (min) line += ` MIN ${numbers[0]}`;
    if (max) line += ` MAX ${numbers[numbers.length - 1]}`;
    if (returns.has('ALL')) line += ` ALL ${formatSequenceSet(numbers)}`;
  }
  if (returns.has('COUNT')) line += ` COUNT ${numbers.length}`;
  if (usesModseq && hits.length) line += ` MODSEQ ${highest}`;
  await session.write(`${line}\r\n`);
  return ok(`${name} completed`);
}

/** The messages of the session's view that match, ascending by UID. */
export async function findMatches(session: CommandSession, folder: SelectedFolder, key: SearchKey): Promise<Array<{ uid: number; modseq: number }>> {
  const filter = searchFilter(key, folder);
  if (filter) {
    // Evaluated by PostgreSQL: only matching UIDs come back.
    const matches = await session.storage.search(session.user!, folder.folderId, filter, folder.largestUid);
    return matches.filter((m) => folder.seqOf(m.uid));
  }
  const candidates = narrow(key, folder.uids);
  const needs = searchNeeds(key);
  const matcher = new SearchMatcher();
  const found: Array<{ uid: number; modseq: number }> = [];
  for await (const group of messageBatches(session, candidates, needs.raw)) {
    const rows = await session.storage.messages(session.user!, folder.folderId, group, { summary: needs.summary, raw: needs.raw, structure: needs.structure });
    for (const message of rows) {
      const seq = folder.seqOf(message.uid);
      if (!seq) continue;
      if (matcher.matches(key, { seq, recent: folder.isRecent(message.uid), message })) found.push({ uid: message.uid, modseq: message.modseq });
    }
  }
  return found;
}

export function mentionsModseq(key: SearchKey): boolean {
  switch (key.type) {
    case 'modseq':
      return true;
    case 'and':
      return key.keys.some(mentionsModseq);
    case 'or':
      return mentionsModseq(key.left) || mentionsModseq(key.right);
    case 'not':
      return mentionsModseq(key.key);
    default:
      return false;
  }
}

/**
 * The UIDs worth loading: when the program is (or starts with an AND of) UID or sequence
 * ranges, only those messages are read from the database.
 */
function narrow(key: SearchKey, uids: readonly number[]): number[] {
  const required: Array<{ ranges: SequenceRange[]; byUid: boolean }> = [];
  const top = key.type === 'and' ? key.keys : [key];
  for (const k of top) if (k.type === 'uid' || k.type === 'seq') required.push({ ranges: k.ranges, byUid: k.type === 'uid' });
  if (!required.length) return [...uids];
  return uids.filter((uid, index) => required.every((r) => inRanges(r.ranges, r.byUid ? uid : index + 1)));
}
