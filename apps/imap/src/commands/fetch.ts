import { bodyStructureData, envelopeData, type MimePart, type StoredMessage } from '@mailroom/mailstore';
import { Args, ParseError, tokenText } from '../protocol/command-parser';
import { parseFetchItems, type FetchItem } from '../protocol/fetch-items';
import { ResponseBuilder, formatInternalDate } from '../protocol/response-writer';
import { formatSequenceSet, inRanges } from '../protocol/sequence-set';
import { binarySection, bodySection } from '../session/body-section';
import type { CommandSession } from '../session/command-session';
import { no, ok, type CommandResult } from './command';

/** Messages per database round trip, and bytes of raw messages held at once per session. */
const BATCH_WITH_BODY = 100;
const BATCH_METADATA = 2000;
const BATCH_BYTES = 8 * 1024 * 1024;

/**
 * UIDs in groups to read together. With message bytes, groups are cut by size (one message at
 * least), so a session holds a bounded amount of mail in memory whatever it asks for.
 */
export async function* messageBatches(session: CommandSession, uids: number[], withBytes: boolean): AsyncGenerator<number[]> {
  if (!withBytes || uids.length === 1) {
    // One message is bounded by MAX_MESSAGE_SIZE already: no need to ask its size first.
    for (let i = 0; i < uids.length; i += BATCH_METADATA) yield uids.slice(i, i + BATCH_METADATA);
    return;
  }
  for (let i = 0; i < uids.length; i += BATCH_METADATA) {
    const sizes = await session.storage.messages(session.user!, session.selected!.folderId, uids.slice(i, i + BATCH_METADATA), {});
    let group: number[] = [];
    let bytes = 0;
    for (const { uid, size } of sizes) {
      if (group.length && (bytes + size > BATCH_BYTES || group.length >= BATCH_WITH_BODY)) {
        yield group;
        group = [];
        bytes = 0;
      }
      group.push(uid);
      bytes += size;
    }
    if (group.length) yield group;
  }
}

/** FETCH and UID FETCH (RFC 3501 6.4.5, CHANGEDSINCE from RFC 7162). */
export async function fetchMessages(session: CommandSession, args: Args, byUid: boolean): Promise<CommandResult> {
  const folder = session.selected!;
  const setText = args.atom('sequence set');
  const items = parseFetchItems(args.next('fetch items'));
  let changedSince: number | null = null;
  let vanished = false;
  const modifiers = args.optionalList();
  args.end();
  if (modifiers) {
    for (let i = 0; i < modifiers.length; i++) {
      const name = tokenText(modifiers[i], 'fetch modifier').toUpperCase();
      if (name === 'VANISHED' && byUid && session.qresync) {
        vanished = true;
        continue;
      }
      if (name !== 'CHANGEDSINCE') throw new ParseError(`unknown FETCH modifier ${name.slice(0, 20)}`);
      const value = modifiers[++i] ? tokenText(modifiers[i], 'CHANGEDSINCE value') : '';
      if (!/^\d{1,19}$/.test(value)) throw new ParseError('CHANGEDSINCE needs a number');
      changedSince = Number(value);
    }
    if (vanished && changedSince === null) throw new ParseError('VANISHED needs CHANGEDSINCE');
    session.condstore = true;
  }
  if (byUid && !items.some((i) => i.kind === 'UID')) items.unshift({ kind: 'UID' });
  // With CONDSTORE on, FETCH responses that carry FLAGS carry MODSEQ too (RFC 7162 3.1.4).
  const needsModseq = changedSince !== null || (session.condstore && items.some((i) => i.kind === 'FLAGS'));
  if (needsModseq && !items.some((i) => i.kind === 'MODSEQ')) items.push({ kind: 'MODSEQ' });
  if (items.some((i) => i.kind === 'MODSEQ')) session.condstore = true;
  const ranges = folder.setRanges(setText, byUid);
  const uids = folder.resolve(ranges, byUid);
  if (vanished && changedSince !== null) {
    // RFC 7162 3.2.6: expunges since CHANGEDSINCE within the requested UIDs, before the FETCHes.
    const changes = await session.storage.changesSince(session.user!, folder.folderId, changedSince);
    const gone = (changes?.expunged ?? []).map((e) => e.uid).filter((uid) => inRanges(ranges, uid));
    if (gone.length) await session.write(`* VANISHED (EARLIER) ${formatSequenceSet(gone)}\r\n`);
  }

  const wantsBody = items.some((i) => i.kind === 'section' || i.kind === 'binary');
  const wantsTree = wantsBody || items.some((i) => i.kind === 'BODYSTRUCTURE' || i.kind === 'BODY');
  const wantsEnvelope = items.some((i) => i.kind === 'ENVELOPE');
  // Reading a body without PEEK sets \Seen (RFC 3501 6.4.5, RFC 3516); the new flags go in the response.
  const setsSeen = !folder.readOnly && items.some((i) => (i.kind === 'section' || i.kind === 'binary') && !i.peek);
  const seenNow = new Set<number>();
  if (setsSeen && uids.length) {
    const result = await session.storage.storeFlags(session.user!, { folderId: folder.folderId, uids, operation: 'add', flags: ['\\Seen'] });
    for (const m of result.messages) {
      if (m.changed) {
        seenNow.add(m.uid);
        folder.noteOwnFlagChange(m.uid, m.modseq);
      }
    }
  }
  for await (const group of messageBatches(session, uids, wantsBody)) {
    const rows = await session.storage.messages(session.user!, folder.folderId, group, { raw: wantsBody, structure: wantsTree, envelope: wantsEnvelope });
    for (const message of rows) {
      if (changedSince !== null && message.modseq <= changedSince) continue;
      const seq = folder.seqOf(message.uid);
      if (!seq) continue;
      const withFlags = seenNow.has(message.uid) && !items.some((x) => x.kind === 'FLAGS') ? [...items, { kind: 'FLAGS' } as FetchItem] : items;
      if (withFlags.some((x) => x.kind === 'FLAGS')) await session.writeLines(folder.announceKeywords(message.flags));
      const response = fetchResponse(session, seq, message, withFlags);
      // RFC 3516 4.3: a part whose encoding cannot be undone fails the command.
      if (response === 'unknown-cte') return no(`message ${seq} has a content transfer encoding the server cannot decode`, 'UNKNOWN-CTE');
      await session.write(response);
    }
  }
  return ok(`${byUid ? 'UID FETCH' : 'FETCH'} completed`);
}

function fetchResponse(session: CommandSession, seq: number, message: StoredMessage, items: FetchItem[]): Buffer | 'unknown-cte' {
  const folder = session.selected!;
  const out = new ResponseBuilder().raw(`* ${seq} FETCH (`);
  for (const [index, item] of items.entries()) {
    if (index) out.raw(' ');
    switch (item.kind) {
      case 'UID':
        out.raw(`UID ${message.uid}`);
        break;
      case 'FLAGS':
        out.raw(`FLAGS (${folder.flagList(message.uid, message.flags)})`);
        break;
      case 'MODSEQ':
        out.raw(`MODSEQ (${message.modseq})`);
        break;
      case 'INTERNALDATE':
        out.raw(`INTERNALDATE ${formatInternalDate(message.internalDate)}`);
        break;
      case 'RFC822.SIZE':
        out.raw(`RFC822.SIZE ${message.size}`);
        break;
      case 'ENVELOPE':
        out.raw('ENVELOPE ').data(envelopeData(message.envelope!));
        break;
      case 'BODYSTRUCTURE':
        out.raw('BODYSTRUCTURE ').data(bodyStructureData(message.bodyStructure as MimePart, true));
        break;
      case 'BODY':
        out.raw('BODY ').data(bodyStructureData(message.bodyStructure as MimePart, false));
        break;
      case 'section': {
        const bytes = bodySection(message.raw!, message.bodyStructure as MimePart, item);
        out.raw(`${item.label} `).nstring(bytes === null ? null : bytes);
        break;
      }
      case 'binary': {
        const bytes = binarySection(message.raw!, message.bodyStructure as MimePart, item);
        if (bytes === 'unknown-cte') return bytes;
        if (item.sizeOnly) out.raw(`${item.label} ${bytes === null ? 0 : bytes.length}`);
        else if (bytes === null) out.raw(`${item.label} NIL`);
        else out.raw(`${item.label} `).literal8(bytes);
        break;
      }
    }
  }
  return out.raw(')\r\n').build();
}
