import libmime from 'libmime';

/**
 * RFC 2047 encoded words decoded; text libmime cannot decode comes back as `fallback` (the text
 * itself unless the caller keeps another form of it).
 */
export function decodeWords(text: string, fallback = text): string {
  try {
    return libmime.decodeWords(text);
  } catch {
    return fallback;
  }
}
