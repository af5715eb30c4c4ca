import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { SegmentService } from '@mailroom/newsletter';
import { AccountId } from '../http/auth';
import { JsonBody, ZodPipe } from '../http/zod';

// The filter's grammar is checked by the service (422 invalid_filter naming the place).
const createSchema = z.object({ name: z.string().min(1).max(200), filter: z.unknown().refine((f) => f !== undefined, 'Required') }).strict();
const updateSchema = z.object({ name: z.string().min(1).max(200).optional(), filter: z.unknown().optional() }).strict();
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: z.string().uuid().optional() }).strict();

@ApiTags('segments')
@ApiBearerAuth()
@Controller('v1/segments')
export class SegmentsController {
  constructor(private readonly segments: SegmentService) {}

  @Post()
  @JsonBody(createSchema)
  create(@AccountId() accountId: string, @Body(new ZodPipe(createSchema)) body: z.infer<typeof createSchema>) {
    return this.segments.create(accountId, body);
  }

  @Get()
  list(@AccountId() accountId: string, @Query(new ZodPipe(listQuery)) query: z.infer<typeof listQuery>) {
    return this.segments.list(accountId, query);
  }

  @Get(':id')
  get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.segments.get(accountId, id);
  }

  /** How many contacts match now, and how many of them are active (would get a campaign). */
  @Get(':id/count')
  count(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.segments.count(accountId, id);
  }

  @Patch(':id')
  @JsonBody(updateSchema)
  update(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(updateSchema)) body: z.infer<typeof updateSchema>) {
    return this.segments.update(accountId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.segments.delete(accountId, id);
  }
}
