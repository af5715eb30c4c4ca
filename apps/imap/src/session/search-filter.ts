import type { MessageFilter } from '@mailroom/mailstore';
import type { SearchKey } from '../protocol/search-query';
import type { SelectedFolder } from './selected-folder';

const DAY = 24 * 3600 * 1000;

/**
 * The SEARCH program as a filter PostgreSQL evaluates, or null when it needs the message
 * bytes (BODY, TEXT, HEADER, CC, BCC) or the Date: header as written (SENT*), which SearchMatcher then checks message by message.
 * Sequence numbers and \Recent are session state, so they become lists of UIDs.
 */
export function searchFilter(key: SearchKey, folder: SelectedFolder): MessageFilter | null {
  switch (key.type) {
    case 'all':
      return { op: 'true' };
    case 'and': {
      const filters = key.keys.map((k) => searchFilter(k, folder));
      return filters.every((f): f is MessageFilter => f !== null) ? { op: 'and', filters } : null;
    }
    case 'or': {
      const left = searchFilter(key.left, folder);
      const right = searchFilter(key.right, folder);
      return left && right ? { op: 'or', filters: [left, right] } : null;
    }
    case 'not': {
      const inner = searchFilter(key.key, folder);
      return inner ? { op: 'not', filter: inner } : null;
    }
    case 'flag': {
      const has: MessageFilter = { op: 'flag', flag: key.flag };
      return key.present ? has : { op: 'not', filter: has };
    }
    case 'recent': {
      const recent: MessageFilter = { op: 'uid-list', uids: folder.uids.filter((uid) => folder.isRecent(uid)) };
      return key.present ? recent : { op: 'not', filter: recent };
    }
    case 'uid':
      return { op: 'uid-ranges', ranges: key.ranges };
    case 'seq':
      return { op: 'uid-list', uids: folder.resolve(key.ranges, false) };
    case 'modseq':
      return { op: 'modseq', atLeast: key.value };
    case 'size':
      return key.op === 'larger' ? { op: 'size', larger: key.value } : { op: 'size', smaller: key.value };
    case 'date': {
      // SENT* compare the day written in the Date: header, whatever its zone: read per message.
      if (key.field === 'sent') return null;
      const day = new Date(key.day);
      const next = new Date(key.day + DAY);
      if (key.op === 'before') return { op: 'date', field: key.field, before: day };
      if (key.op === 'on') return { op: 'date', field: key.field, from: day, before: next };
      return { op: 'date', field: key.field, from: day };
    }
    case 'within':
      // OLDER: at or before the limit; YOUNGER: after it (INTERNALDATE has millisecond precision).
      return key.older ? { op: 'date', field: 'internal', before: new Date(key.limit + 1) } : { op: 'date', field: 'internal', from: new Date(key.limit + 1) };
    case 'text':
      return key.field === 'subject' || key.field === 'from' || key.field === 'to' ? { op: 'contains', field: key.field, text: key.value } : null;
    case 'header':
      return null;
  }
}
