import { Readable } from 'node:stream';
import { Controller, Get, HttpException, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { DomainError, notFound } from '@mailroom/common';
import { ImportRepository, type ImportRejectRow, type ImportRow } from '@mailroom/db';
import { ContactImporter, csvField, decodeCursor, encodeCursor, safeCell } from '@mailroom/newsletter';
import { AccountId } from '../http/auth';
import { importPage, importView as importSchema } from '../contacts/contact.openapi';
import { ApiDoc } from '../http/openapi';
import { ZodPipe } from '../http/zod';

/** Rejected rows shown with an import; all of them are in rejects.csv. */
const REJECTS_SHOWN = 100;
const createQuery = z.object({ list_id: z.string().uuid().optional(), filename: z.string().max(255).optional() }).strict();
const listQuery = z
  .object({ status: z.enum(['running', 'done', 'failed']).optional(), cursor: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(100).default(20) })
  .strict();

export const importView = (row: ImportRow, rejects?: ImportRejectRow[]) => ({
  id: row.id,
  list_id: row.list_id,
  status: row.status,
  filename: row.filename,
  rows_read: row.rows_read,
  added: row.added,
  updated: row.updated,
  rejected: row.rejected,
  error: row.error,
  created_at: row.created_at,
  finished_at: row.finished_at,
  ...(rejects ? { rejects } : {}),
});

@ApiTags('imports')
@Controller('v1/imports')
export class ImportsController {
  private readonly maxBytes: number;

  constructor(
    private readonly importer: ContactImporter,
    private readonly imports: ImportRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.maxBytes = config.IMPORT_MAX_BYTES;
  }

  /**
   * Imports the CSV sent as the body (Content-Type: text/csv), streamed as it arrives, during the
   * request: the answer is the finished import with its first rejected rows. While it runs,
   * GET /v1/imports (status=running) and GET /v1/imports/:id show its progress.
   */
  @Post()
  @ApiDoc({ summary: 'Import contacts from a CSV body', description: 'Streamed as it arrives; answers the finished import with its first rejected rows.', query: createQuery, response: importSchema, status: 201, errors: [404, 413, 415, 422] })
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  async create(@AccountId() accountId: string, @Query(new ZodPipe(createQuery)) query: z.infer<typeof createQuery>, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = request.body;
    if (!(body instanceof Readable)) {
      throw new HttpException({ code: 'unsupported_media_type', message: 'send the CSV file itself as the body, with Content-Type: text/csv' }, 415);
    }
    const length = Number(request.headers['content-length'] ?? NaN);
    if (Number.isFinite(length) && length > this.maxBytes) {
      body.resume();
      throw new DomainError('too_large', 'import_too_large', `the file is larger than IMPORT_MAX_BYTES (${this.maxBytes} bytes)`);
    }
    const row = await this.importer.run(accountId, query.list_id ?? null, body, { filename: query.filename, maxBytes: this.maxBytes });
    await reply.code(201).send(importView(row, await this.imports.rejects(row.id, 0, REJECTS_SHOWN)));
  }

  /** Newest first; `status=running` finds imports in progress. */
  @Get()
  @ApiDoc({ summary: 'List imports, newest first (status=running: in progress)', query: listQuery, response: importPage })
  async list(@AccountId() accountId: string, @Query(new ZodPipe(listQuery)) query: z.infer<typeof listQuery>) {
    const rows = await this.imports.list(accountId, { status: query.status, after: query.cursor ? decodeCursor(query.cursor) : undefined, limit: query.limit });
    const last = rows[rows.length - 1];
    return { data: rows.map((r) => importView(r)), next_cursor: rows.length === query.limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  /** Progress (rows read, added, updated, rejected) and the first rejected rows. */
  @Get(':id')
  @ApiDoc({ summary: 'An import\'s progress and first rejected rows', response: importSchema, errors: [404] })
  async get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    const row = await this.imports.find(accountId, id);
    if (!row) throw notFound('import');
    return importView(row, await this.imports.rejects(row.id, 0, REJECTS_SHOWN));
  }

  /** Every rejected row (line, email, reason), streamed. */
  @Get(':id/rejects.csv')
  @ApiDoc({ summary: 'Every rejected row of an import, as CSV', csv: true, errors: [404] })
  async rejects(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Res() reply: FastifyReply): Promise<void> {
    const row = await this.imports.find(accountId, id);
    if (!row) throw notFound('import');
    const imports = this.imports;
    async function* lines(): AsyncGenerator<string> {
      yield 'line,email,reason\r\n';
      for (let after = 0; ; ) {
        const page = await imports.rejects(id, after, 5000);
        if (!page.length) return;
        yield page.map((r) => `${r.line},${csvField(safeCell(r.email))},${r.reason}\r\n`).join('');
        after = page[page.length - 1]!.line;
      }
    }
    await reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="import-${id}-rejects.csv"`).send(Readable.from(lines()));
  }
}
