import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { SegmentService } from '@mailroom/newsletter';
import { AccountId } from '../http/auth';
import { segmentCount, segmentPage, segmentView } from '../campaigns/campaign.openapi';
import { ApiDoc } from '../http/openapi';
import { ZodPipe } from '../http/zod';

// The filter's grammar is checked by the service (422 invalid_filter naming the place).
const createSchema = z.object({ name: z.string().min(1).max(200), filter: z.unknown().refine((f) => f !== undefined, 'Required') }).strict();
const updateSchema = z.object({ name: z.string().min(1).max(200).optional(), filter: z.unknown().optional() }).strict();
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: z.string().uuid().optional() }).strict();

@ApiTags('segments')
@Controller('v1/segments')
export class SegmentsController {
  constructor(private readonly segments: SegmentService) {}

  @Post()
  @ApiDoc({ summary: 'Create a segment', body: createSchema, response: segmentView, status: 201, errors: [422] })
  create(@AccountId() accountId: string, @Body(new ZodPipe(createSchema)) body: z.infer<typeof createSchema>) {
    return this.segments.create(accountId, body);
  }

  @Get()
  @ApiDoc({ summary: 'List segments', query: listQuery, response: segmentPage })
  list(@AccountId() accountId: string, @Query(new ZodPipe(listQuery)) query: z.infer<typeof listQuery>) {
    return this.segments.list(accountId, query);
  }

  @Get(':id')
  @ApiDoc({ summary: 'Read a segment', response: segmentView, errors: [404] })
  get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.segments.get(accountId, id);
  }

  /** How many contacts match now, and how many of them are active (would get a campaign). */
  @Get(':id/count')
  @ApiDoc({ summary: 'How many contacts the segment matches now', response: segmentCount, errors: [404] })
  count(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.segments.count(accountId, id);
  }

  @Patch(':id')
  @ApiDoc({ summary: 'Change a segment', body: updateSchema, response: segmentView, errors: [404, 422] })
  update(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(updateSchema)) body: z.infer<typeof updateSchema>) {
    return this.segments.update(accountId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiDoc({ summary: 'Delete a segment', errors: [404, 409] })
  async remove(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.segments.delete(accountId, id);
  }
}
