export interface UnfoldedField {
  /** The field name as written, trimmed. */
  name: string;
  /** The value trimmed, each continuation line trimmed and joined with one space. */
  value: string;
}

/**
 * The fields of a header block given as text (lines end in CRLF or LF), for readers that want
 * values, not byte offsets (the IMAP store reads offsets with `parseHeaderFields`). A line
 * without a colon is dropped, and so is a field whose name `accept` refuses; a continuation line
 * belongs to the last field kept.
 */
export function unfoldHeaderBlock(block: string, accept?: (name: string) => boolean): UnfoldedField[] {
  const fields: UnfoldedField[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length) {
      fields[fields.length - 1]!.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    if (accept && !accept(name)) continue;
    fields.push({ name, value: line.slice(colon + 1).trim() });
  }
  return fields;
}
