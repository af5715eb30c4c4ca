import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { notFound } from '@mailroom/common';
import { parseAddress } from '@mailroom/compose';
import { SuppressionRepository, type Suppression } from '@mailroom/db';
import { AccountId } from '../http/auth';
import { ApiDoc, timestamp } from '../http/openapi';
import { ZodPipe } from '../http/zod';

const createSchema = z.object({ email: z.string().min(3).max(320), reason: z.enum(['hard_bounce', 'complaint', 'unsubscribe', 'manual']).default('manual'), detail: z.string().max(1000).optional() }).strict();
const listSchema = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), cursor: z.string().optional(), reason: z.enum(['hard_bounce', 'complaint', 'unsubscribe', 'manual']).optional() }).strict();

const suppressionView = z.object({ email: z.string(), reason: z.enum(['hard_bounce', 'complaint', 'unsubscribe', 'manual']), detail: z.string().nullable(), message_id: z.string().uuid().nullable(), created_at: timestamp });
const suppressionPage = z.object({ data: z.array(suppressionView), next_cursor: z.string().nullable().describe('pass back as cursor for the next page') });

const view = (s: Suppression) => ({ email: s.email, reason: s.reason, detail: s.detail, message_id: s.messageId, created_at: s.createdAt });
const normalize = (email: string) => parseAddress(email, 'email').address.toLowerCase();

@ApiTags('suppressions')
@Controller('v1/suppressions')
export class SuppressionsController {
  constructor(private readonly suppressions: SuppressionRepository) {}

  @Get()
  @ApiDoc({ summary: 'List suppressed addresses', query: listSchema, response: suppressionPage })
  async list(@AccountId() accountId: string, @Query(new ZodPipe(listSchema)) query: z.infer<typeof listSchema>) {
    const rows = await this.suppressions.list(accountId, query);
    return { data: rows.map(view), next_cursor: rows.length === query.limit ? rows[rows.length - 1].email : null };
  }

  @Post()
  @ApiDoc({ summary: 'Suppress an address', body: createSchema, response: suppressionView, status: 201, errors: [422] })
  async create(@AccountId() accountId: string, @Body(new ZodPipe(createSchema)) body: z.infer<typeof createSchema>) {
    return view(await this.suppressions.upsert(accountId, normalize(body.email), body.reason, body.detail));
  }

  @Get(':email')
  @ApiDoc({ summary: 'Whether an address is suppressed, and why', response: suppressionView, errors: [404, 422] })
  async get(@AccountId() accountId: string, @Param('email') email: string) {
    const row = await this.suppressions.find(accountId, normalize(email));
    if (!row) throw notFound('suppression');
    return view(row);
  }

  /** Lets mail reach the address again. */
  @Delete(':email')
  @HttpCode(204)
  @ApiDoc({ summary: 'Let mail reach an address again', errors: [404, 422] })
  async remove(@AccountId() accountId: string, @Param('email') email: string): Promise<void> {
    if (!(await this.suppressions.delete(accountId, normalize(email)))) throw notFound('suppression');
  }
}
