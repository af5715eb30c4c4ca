import { decodeWords } from './encoded-words';

const BLOB = /^\[[^[\]]*\][ \t]*/;
/** subj-refwd after any blobs: `re`, `fw` or `fwd`, an optional blob, and `:` (RFC 5256 5). */
const REFWD = /^(?:\[[^[\]]*\][ \t]*)*(?:re|fwd?)[ \t]*(?:\[[^[\]]*\][ \t]*)?:/i;
const TRAILER = /(?:\(fwd\)|[ \t])$/i;

/**
 * The base subject of RFC 5256 2.1, what SORT SUBJECT and THREAD compare: encoded words
 * decoded, white space runs made one space, `(fwd)` trailers, `Re:`/`Fw:`/`Fwd:` leaders with
 * their `[blob]`s, leading `[blob]`s (unless nothing would be left) and a `[fwd: ...]` wrapper
 * removed, repeatedly. `reply` tells whether any of those marked a reply or forward.
 */
export function baseSubject(subject: string | null | undefined): { subject: string; reply: boolean } {
  let text = decodeWords(subject ?? '')
    .replace(/\r?\n(?=[ \t])/g, '')
    .replace(/[ \t]+/g, ' ');
  let reply = false;
  for (;;) {
    // (2) trailers
    for (let trailer = TRAILER.exec(text); trailer; trailer = TRAILER.exec(text)) {
      if (trailer[0] !== ' ' && trailer[0] !== '\t') reply = true;
      text = text.slice(0, trailer.index);
    }
    // (3)-(5) leaders and blobs
    for (;;) {
      const before = text;
      text = text.replace(/^[ \t]+/, '');
      const refwd = REFWD.exec(text);
      if (refwd) {
        text = text.slice(refwd[0].length);
        reply = true;
      }
      const blob = BLOB.exec(text);
      if (blob && text.length > blob[0].length) text = text.slice(blob[0].length);
      if (text === before) break;
    }
    // (6) a [fwd: ...] wrapper
    if (/^\[fwd:/i.test(text) && text.endsWith(']')) {
      text = text.slice(5, -1);
      reply = true;
      continue;
    }
    return { subject: text, reply };
  }
}

/** i;ascii-casemap (RFC 4790): ASCII letters compared without case, everything else by code unit. */
export function asciiCasemap(text: string): string {
  return text.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}
