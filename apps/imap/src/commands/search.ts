import { Args } from '../protocol/command-parser';
import { BadCharsetError, parseSearch, searchNeeds, type SearchKey } from '../protocol/search-query';
import { inRanges, type SequenceRange } from '../protocol/sequence-set';
import type { CommandSession } from '../session/command-session';
import { searchFilter } from '../session/search-filter';
import { SearchMatcher } from '../session/search-matcher';
import { no, ok, type CommandResult } from './command';
import { messageBatches } from './fetch';

/** SEARCH and UID SEARCH: the whole RFC 3501 grammar, plus MODSEQ (RFC 7162). */
export async function searchMessages(session: CommandSession, args: Args, byUid: boolean): Promise<CommandResult> {
  const folder = session.selected!;
  let key: SearchKey;
  try {
    key = parseSearch(args.rest(), { messages: folder.exists, largestUid: folder.largestUid });
  } catch (error) {
    if (error instanceof BadCharsetError) return no(`charset ${error.message} is not supported`, 'BADCHARSET (US-ASCII UTF-8)');
    throw error;
  }
  const usesModseq = mentionsModseq(key);
  if (usesModseq) session.condstore = true;
  const filter = searchFilter(key, folder);
  if (filter) {
    // Evaluated by PostgreSQL: only matching UIDs come back.
    const matches = await session.storage.search(session.user!, folder.folderId, filter, folder.largestUid);
    const hits = matches.filter((m) => folder.seqOf(m.uid));
    const highestMatch = hits.reduce((max, m) => Math.max(max, m.modseq), 0);
    const numbers = hits.map((m) => (byUid ? m.uid : folder.seqOf(m.uid)));
    await session.write(`* SEARCH${numbers.map((n) => ` ${n}`).join('')}${usesModseq && hits.length ? ` (MODSEQ ${highestMatch})` : ''}\r\n`);
    return ok(`${byUid ? 'UID SEARCH' : 'SEARCH'} completed`);
  }
  const candidates = narrow(key, folder.uids);
  const needs = searchNeeds(key);
  const matcher = new SearchMatcher();
  const found: number[] = [];
  let highest = 0;
  for await (const group of messageBatches(session, candidates, needs.raw)) {
    const rows = await session.storage.messages(session.user!, folder.folderId, group, { summary: needs.summary, raw: needs.raw, structure: needs.structure });
    for (const message of rows) {
      const seq = folder.seqOf(message.uid);
      if (!seq) continue;
      if (matcher.matches(key, { seq, recent: folder.isRecent(message.uid), message })) {
        found.push(byUid ? message.uid : seq);
        highest = Math.max(highest, message.modseq);
      }
    }
  }
  const modseq = usesModseq && found.length ? ` (MODSEQ ${highest})` : '';
  await session.write(`* SEARCH${found.map((n) => ` ${n}`).join('')}${modseq}\r\n`);
  return ok(`${byUid ? 'UID SEARCH' : 'SEARCH'} completed`);
}

function mentionsModseq(key: SearchKey): boolean {
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
