import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { notFound } from '@mailroom/common';
import { EventRepository } from '@mailroom/db';
import { AccountId } from '../http/auth';
import { ApiDoc, timestamp } from '../http/openapi';
import { ZodPipe } from '../http/zod';

const listQuery = z
  .object({
    type: z.string().max(100).optional(),
    since: z.string().datetime({ offset: true }).optional(),
    until: z.string().datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().uuid().optional(),
  })
  .strict();

const eventView = z.object({
  id: z.string().uuid().describe('also the webhook-id of its deliveries'),
  type: z.string(),
  created_at: timestamp,
  payload: z.object({ type: z.string(), timestamp: z.string(), data: z.record(z.unknown()) }).describe('exactly what was POSTed'),
});
const eventPage = z.object({ data: z.array(eventView), next_cursor: z.string().nullable() });

/**
 * The account's events of the last EVENT_RETENTION_DAYS: those an endpoint subscribed to when
 * they happened, and account notices (webhook.disabled), which are always kept.
 */
@ApiTags('events')
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventRepository) {}

  @Get()
  @ApiDoc({ summary: 'Events, newest first', query: listQuery, response: eventPage })
  async list(@AccountId() accountId: string, @Query(new ZodPipe(listQuery)) query: z.infer<typeof listQuery>) {
    const page = await this.events.list(accountId, {
      type: query.type,
      since: query.since ? new Date(query.since) : undefined,
      until: query.until ? new Date(query.until) : undefined,
      limit: query.limit,
      cursor: query.cursor,
    });
    return { data: page.data.map((e) => ({ id: e.id, type: e.type, created_at: e.created_at, payload: e.payload })), next_cursor: page.next_cursor };
  }

  @Get(':id')
  @ApiDoc({ summary: 'One event', response: eventView, errors: [404] })
  async get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    const event = await this.events.find(accountId, id);
    if (!event) throw notFound('event');
    return { id: event.id, type: event.type, created_at: event.created_at, payload: event.payload };
  }
}
