import { searchableBody, writtenDay, type MimePart, type StoredMessage } from '@mailroom/mailstore';
import { decodeWords, parseHeaderFields } from '@mailroom/mime';
import { inRanges } from '../protocol/sequence-set';
import type { SearchKey } from '../protocol/search-query';

/** What a message is matched against: the stored row plus its place in the session's view. */
export interface SearchCandidate {
  seq: number;
  recent: boolean;
  message: StoredMessage;
}

const DAY = 24 * 3600 * 1000;
/** TEXT looks through at most this much of the raw message. */
const RAW_TEXT_LIMIT = 4 * 1024 * 1024;

/**
 * Evaluates a SEARCH program against one message. Text keys match case-insensitively as
 * substrings of decoded values (RFC 3501 leaves matching to the server; this is what Dovecot
 * does without a full-text index). INTERNALDATE compares whole days in UTC, the Date: header
 * the day as written.
 */
export class SearchMatcher {
  private cache = new WeakMap<StoredMessage, { headers?: string[]; lowerHeaders?: Map<string, string[]>; body?: string; raw?: string }>();

  matches(key: SearchKey, c: SearchCandidate): boolean {
    switch (key.type) {
      case 'all':
        return true;
      case 'and':
        return key.keys.every((k) => this.matches(k, c));
      case 'or':
        return this.matches(key.left, c) || this.matches(key.right, c);
      case 'not':
        return !this.matches(key.key, c);
      case 'flag': {
        const wanted = key.flag.toLowerCase();
        return c.message.flags.some((f) => f.toLowerCase() === wanted) === key.present;
      }
      case 'recent':
        return c.recent === key.present;
      case 'uid':
        return inRanges(key.ranges, c.message.uid);
      case 'seq':
        return inRanges(key.ranges, c.seq);
      case 'modseq':
        return c.message.modseq >= key.value;
      case 'size':
        return key.op === 'larger' ? c.message.size > key.value : c.message.size < key.value;
      case 'date': {
        // INTERNALDATE by its day in UTC; the Date: header by the day written in it, its time
        // and zone disregarded (RFC 3501 6.4.4).
        const written = c.message.envelope?.date;
        const day = key.field === 'internal' ? Math.floor(c.message.internalDate.getTime() / DAY) * DAY : written ? writtenDay(written) : null;
        if (day === null) return false;
        return key.op === 'before' ? day < key.day : key.op === 'on' ? day === key.day : day >= key.day;
      }
      case 'within':
        return key.older ? c.message.internalDate.getTime() <= key.limit : c.message.internalDate.getTime() > key.limit;
      case 'text':
        return this.text(key.field, key.value.toLowerCase(), c.message);
      case 'header':
        return this.header(key.name.toLowerCase(), key.value.toLowerCase(), c.message);
    }
  }

  private text(field: 'subject' | 'from' | 'to' | 'cc' | 'bcc' | 'body' | 'text', needle: string, message: StoredMessage): boolean {
    switch (field) {
      case 'subject':
        return (message.subject ?? '').toLowerCase().includes(needle);
      case 'from':
        return (message.fromAddress ?? '').toLowerCase().includes(needle);
      case 'to':
        return (message.toAddresses ?? '').toLowerCase().includes(needle);
      case 'cc':
      case 'bcc':
        return this.header(field, needle, message);
      case 'body':
        return this.body(message).includes(needle);
      case 'text':
        // Headers and text decoded, then the raw bytes (headers of attached messages, non-text parts).
        return this.headerLines(message).some((line) => line.includes(needle)) || this.body(message).includes(needle) || this.rawText(message).includes(needle);
    }
  }

  private header(name: string, needle: string, message: StoredMessage): boolean {
    const values = this.parsed(message).lowerHeaders!.get(name) ?? [];
    if (!needle) return values.length > 0;
    return values.some((v) => v.includes(needle));
  }

  private headerLines(message: StoredMessage): string[] {
    return this.parsed(message).headers!;
  }

  private body(message: StoredMessage): string {
    const entry = this.parsed(message);
    if (entry.body === undefined) entry.body = message.raw && message.bodyStructure ? searchableBody(message.raw, message.bodyStructure as MimePart).toLowerCase() : '';
    return entry.body;
  }

  private rawText(message: StoredMessage): string {
    const entry = this.parsed(message);
    entry.raw ??= (message.raw ?? Buffer.alloc(0)).toString('utf8', 0, RAW_TEXT_LIMIT).toLowerCase();
    return entry.raw;
  }

  private parsed(message: StoredMessage) {
    let entry = this.cache.get(message);
    if (!entry) this.cache.set(message, (entry = {}));
    if (!entry.headers) {
      const raw = message.raw ?? Buffer.alloc(0);
      const bodyStart = message.bodyStructure?.bodyStart ?? raw.length;
      const fields = parseHeaderFields(raw, 0, bodyStart);
      entry.lowerHeaders = new Map();
      entry.headers = fields.map((f) => {
        const value = decodeWords(f.value).toLowerCase();
        const list = entry!.lowerHeaders!.get(f.key) ?? [];
        list.push(value);
        entry!.lowerHeaders!.set(f.key, list);
        return `${f.key}: ${value}`;
      });
    }
    return entry;
  }
}
