import type { ExportRow } from '@mailroom/db';

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * An attribute value as a spreadsheet will not run: a leading = + - @ (or tab, CR) would make
 * Excel or LibreOffice evaluate a formula that a subscriber typed into a public form, so such
 * values get a leading apostrophe (OWASP's advice for CSV injection).
 */
export function safeCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export const EXPORT_FIXED_COLUMNS = ['email', 'status', 'contact_status', 'subscribed_at', 'confirmed_at', 'created_at'] as const;

export function exportHeader(attributeKeys: string[]): string {
  return `${[...EXPORT_FIXED_COLUMNS, ...attributeKeys].map(csvField).join(',')}\r\n`;
}

export function exportLine(row: ExportRow, attributeKeys: string[]): string {
  const fixed = [row.email, row.status, row.contact_status, row.subscribed_at.toISOString(), row.confirmed_at?.toISOString() ?? '', row.created_at.toISOString()];
  const attributes = attributeKeys.map((key) => safeCell(row.attributes[key]));
  return `${[...fixed, ...attributes].map(csvField).join(',')}\r\n`;
}
