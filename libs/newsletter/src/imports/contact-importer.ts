import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import { parse } from 'csv-parse';
import { DomainError, newId, notFound } from '@mailroom/common';
import { ImportRepository, ListRepository, type ImportChunk, type ImportRow } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { normalizeContactEmail } from '../contacts/contact-email';
import { MAX_ATTRIBUTES_BYTES } from '../contacts/contact-input';
import { EXPORT_FIXED_COLUMNS } from '../lists/list-export';
import { SeenEmails } from './seen-emails';

/** Rows applied per statement: large enough to amortize a round trip, small enough for steady progress. */
const CHUNK_ROWS = 5000;
const EMAIL_HEADERS = new Set(['email', 'e-mail', 'email address', 'email_address', 'e-mail address', 'mail']);
/** Columns of our own export that describe state, not attributes: an export imports back cleanly. */
const STATE_HEADERS = new Set<string>(EXPORT_FIXED_COLUMNS.filter((c) => c !== 'email'));
const MAX_ATTRIBUTE_COLUMNS = 200;

export type RejectReason = 'bad_address' | 'duplicate' | 'suppressed' | 'attributes_too_large';

export interface ImportOptions {
  filename?: string;
  /** Bytes past which the upload is refused (IMPORT_MAX_BYTES). */
  maxBytes: number;
  /** Told after every chunk is stored (the CLI prints it). */
  onProgress?: (progress: { rowsRead: number; added: number; updated: number; rejected: number }) => void;
  /** Told the import's id as soon as it exists. */
  onStart?: (id: string) => void;
}

class TooLarge extends Error {}

/**
 * A CSV import, streamed: the upload is parsed as it arrives (csv-parse), checked row by row
 * (address, duplicates within the file), and applied in chunks of 5,000 rows by one statement
 * each (ImportRepository.applyChunk), while the next chunk is being parsed. Reading waits for
 * the database when it falls behind, so memory holds two chunks whatever the file's size. The
 * import row carries the progress, readable by other requests while this one runs.
 */
@Injectable()
export class ContactImporter {
  constructor(
    private readonly imports: ImportRepository,
    private readonly lists: ListRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(accountId: string, listId: string | null, source: Readable, options: ImportOptions): Promise<ImportRow> {
    if (listId && !(await this.lists.find(accountId, listId))) {
      source.resume(); // let the client finish sending; the answer is 404
      throw notFound('list');
    }
    const id = newId();
    await this.imports.create(id, accountId, listId, (options.filename ?? '').slice(0, 255));
    options.onStart?.(id);
    const totals = { rowsRead: 0, added: 0, updated: 0, rejected: 0 };
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(bytes > options.maxBytes ? new TooLarge() : null, chunk);
      },
    });
    let previousEnd = 0;
    let previousEmpty = 0;
    const parser = parse({
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      max_record_size: 64 * 1024,
      // The line a record starts on (csv-parse counts where it ends; a quoted field may span lines).
      on_record: (record: string[], info: { lines: number; empty_lines: number }) => {
        const start = previousEnd + 1 + (info.empty_lines - previousEmpty);
        previousEnd = info.lines;
        previousEmpty = info.empty_lines;
        (record as unknown as { line: number }).line = start;
        return record;
      },
    });
    const seen = new SeenEmails();
    let inFlight: Promise<void> | null = null;
    const apply = async (chunk: ImportChunk) => {
      if (inFlight) await inFlight;
      inFlight = this.imports.applyChunk(id, accountId, listId, chunk).then(async () => {
        const row = await this.imports.find(accountId, id);
        if (row) Object.assign(totals, { rowsRead: row.rows_read, added: row.added, updated: row.updated, rejected: row.rejected });
        options.onProgress?.({ ...totals });
      });
      // Failing now or at the next await is the same; this keeps an unawaited rejection quiet.
      inFlight.catch(() => undefined);
    };

    // The upload is piped by hand rather than put in the pipeline, which would destroy it on
    // an error: the client then never reads the answer (413 past IMPORT_MAX_BYTES). What is left
    // of it is read and dropped instead, and an upload cut short fails the import.
    source.pipe(counter);
    source.once('error', (error) => counter.destroy(error));
    source.once('close', () => {
      if (!source.readableEnded) counter.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    });
    try {
      await pipeline(counter, parser, async (records: AsyncIterable<string[] & { line: number }>) => {
        let emailAt = -1;
        let columns: Array<{ index: number; key: string }> = [];
        let chunk: ImportChunk = { rowsRead: 0, rows: [], rejects: [] };
        for await (const record of records) {
          if (emailAt < 0) {
            const names = record.map((h) => h.trim());
            emailAt = names.findIndex((h) => EMAIL_HEADERS.has(h.toLowerCase()));
            if (emailAt < 0) throw new DomainError('invalid', 'email_column_missing', `the header row (line ${record.line}) names no email column; found: ${names.slice(0, 20).join(', ') || 'nothing'}`);
            columns = names
              .map((key, index) => ({ index, key }))
              .filter((c) => c.index !== emailAt && c.key !== '' && !STATE_HEADERS.has(c.key.toLowerCase()))
              .slice(0, MAX_ATTRIBUTE_COLUMNS);
            continue;
          }
          chunk.rowsRead++;
          const given = record[emailAt] ?? '';
          const email = normalizeContactEmail(given);
          if (!email) chunk.rejects.push({ line: record.line, email: given.slice(0, 320), reason: 'bad_address' });
          else if (!seen.add(email)) chunk.rejects.push({ line: record.line, email, reason: 'duplicate' });
          else {
            const attributes: Record<string, string> = {};
            for (const c of columns) {
              const value = record[c.index]?.trim();
              if (value) attributes[c.key] = value;
            }
            const json = JSON.stringify(attributes);
            if (json.length > MAX_ATTRIBUTES_BYTES) chunk.rejects.push({ line: record.line, email, reason: 'attributes_too_large' });
            else chunk.rows.push({ line: record.line, email, attributes: json });
          }
          if (chunk.rowsRead >= CHUNK_ROWS) {
            await apply(chunk);
            chunk = { rowsRead: 0, rows: [], rejects: [] };
          }
        }
        if (emailAt < 0) throw new DomainError('invalid', 'empty_file', 'the file has no header row (expected a first line such as "email,name")');
        if (chunk.rowsRead) await apply(chunk);
        if (inFlight) await inFlight;
      });
      return await this.imports.finish(accountId, id, { status: 'done' });
    } catch (error) {
      source.unpipe(counter);
      source.resume();
      if (inFlight) await (inFlight as Promise<void>).catch(() => undefined);
      const failure = this.describe(error, options.maxBytes);
      const row = await this.imports.finish(accountId, id, { status: 'failed', error: failure.message });
      this.logger.warn({ importId: id, err: failure.message }, 'import failed');
      if (failure instanceof DomainError) throw Object.assign(failure, { details: { ...failure.details, import: row } });
      throw error;
    }
  }

  private describe(error: unknown, maxBytes: number): Error {
    if (error instanceof TooLarge) return new DomainError('too_large', 'import_too_large', `the file is larger than IMPORT_MAX_BYTES (${maxBytes} bytes); rows before the limit were imported`);
    if (error instanceof DomainError) return error;
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('CSV_')) return new DomainError('invalid', 'invalid_csv', `the file is not valid CSV: ${(error as Error).message}; rows before it were imported`);
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (error as Error).message === 'aborted') return new Error('the upload was interrupted; rows before it were imported');
    return error instanceof Error ? error : new Error(String(error));
  }
}
