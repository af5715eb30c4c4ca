/**
 * What PostgreSQL refuses in `text` and `jsonb`: NUL (`invalid byte sequence 0x00`,
 * `unsupported Unicode escape sequence \u0000`) and lone UTF-16 surrogates (no UTF-8 form).
 * Mail carries both now and then (a NUL in a header, an encoded word that decodes to one).
 */
const NUL = /\0/g;
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Decoded text as PostgreSQL can keep it: NULs dropped, lone surrogates made U+FFFD. Raw
 * message bytes are stored as bytea and never pass through here.
 */
export function storableText(text: string): string {
  // Nearly every string is fine as it is: two native scans, not two regular-expression passes.
  if (!text.includes('\0') && text.isWellFormed()) return text;
  return text.replace(NUL, '').replace(LONE_SURROGATES, '\uFFFD');
}

/** False when the text holds a lone surrogate: it has no UTF-8 form (String.isWellFormed, ES2024). */
export function isWellFormedText(text: string): boolean {
  return text.isWellFormed();
}

/** The same for every string (keys included) of a JSON-like value, for jsonb columns. */
export function storableJson<T>(value: T): T {
  return clean(value) as T;
}

function clean(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(clean);
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [storableText(key), clean(inner)]));
  }
  return value;
}
