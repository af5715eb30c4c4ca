const CR = 0x0d;
const LF = 0x0a;

export interface CrlfOptions {
  /**
   * Also turn a bare CR into CRLF. The relay does (RFC 5321 section 2.3.8: a lone CR or LF is not
   * a line end, and a receiver must not be left to guess); the mail store does not, because it
   * keeps the bytes a message arrived with and only needs LF-terminated lines to count as IMAP does.
   */
  bareCr: boolean;
}

/**
 * The message with CRLF line ends: every bare LF (and, with `bareCr`, every bare CR) becomes
 * CRLF. A message that needs nothing comes back as the same buffer, found by a scan that copies
 * nothing (the usual case on every hot path).
 */
export function toCrlf(raw: Buffer, options: CrlfOptions): Buffer {
  if (!hasBareLineEnd(raw, options.bareCr)) return raw;
  // Copies the runs between line ends (indexOf and copy, not a loop over every byte).
  const out = Buffer.allocUnsafe(raw.length * 2);
  let length = 0;
  let from = 0;
  let lf = raw.indexOf(LF);
  let cr = options.bareCr ? raw.indexOf(CR) : -1;
  while (lf !== -1 || cr !== -1) {
    if (cr !== -1 && (lf === -1 || cr < lf)) {
      if (raw[cr + 1] !== LF) {
        length += raw.copy(out, length, from, cr + 1);
        out[length++] = LF;
        from = cr + 1;
      }
      cr = raw.indexOf(CR, cr + 1);
    } else {
      if (lf === 0 || raw[lf - 1] !== CR) {
        length += raw.copy(out, length, from, lf);
        out[length++] = CR;
        from = lf;
      }
      lf = raw.indexOf(LF, lf + 1);
    }
  }
  length += raw.copy(out, length, from);
  return out.subarray(0, length);
}

function hasBareLineEnd(raw: Buffer, bareCr: boolean): boolean {
  for (let at = raw.indexOf(LF); at !== -1; at = raw.indexOf(LF, at + 1)) {
    if (at === 0 || raw[at - 1] !== CR) return true;
  }
  if (!bareCr) return false;
  for (let at = raw.indexOf(CR); at !== -1; at = raw.indexOf(CR, at + 1)) {
    if (raw[at + 1] !== LF) return true;
  }
  return false;
}
