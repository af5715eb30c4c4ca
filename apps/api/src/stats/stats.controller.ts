import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { STAT_COUNTERS } from '@mailroom/db';
import { StatsService } from '@mailroom/stats';
import { AccountId } from '../http/auth';
import { ApiDoc, timestamp } from '../http/openapi';
import { ZodPipe } from '../http/zod';

const when = z.string().datetime({ offset: true });

const seriesQuery = z
  .object({
    from: when.optional().describe('start (rounded down to its bucket); default: 24 h (hour) or 7 days (day) before `to`'),
    to: when.optional().describe('end, exclusive; default now'),
    granularity: z.enum(['hour', 'day']).default('day'),
    stream: z.enum(['transactional', 'broadcast']).optional(),
    campaign_id: z.string().uuid().optional(),
    tag: z.string().min(1).max(100).optional(),
    domain: z.string().min(1).max(253).optional().describe('a sending domain of the account'),
  })
  .strict();

const bouncesQuery = z
  .object({
    from: when.optional().describe('default: 30 days before `to`'),
    to: when.optional(),
    domain: z.string().min(1).max(253).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(10),
  })
  .strict();

const counts = z.object({ ...Object.fromEntries(STAT_COUNTERS.map((c) => [c, z.number()])), bounced: z.number().describe('bounced_hard + bounced_soft') });
const seriesView = z.object({
  from: timestamp,
  to: timestamp,
  granularity: z.enum(['hour', 'day']),
  filters: z.record(z.string().nullable()),
  totals: counts,
  buckets: z.array(counts.extend({ start: timestamp })),
});

const bounceSection = z.object({
  total: z.number(),
  hard: z.number().optional(),
  soft: z.number().optional(),
  by_code: z.array(z.object({ code: z.string().nullable().describe('enhanced status code, e.g. 5.1.1'), count: z.number(), hard: z.number().optional(), soft: z.number().optional(), sample: z.string().nullable() })),
  by_domain: z.array(z.object({ domain: z.string(), count: z.number() })),
  by_provider: z.array(z.object({ provider: z.string().describe('Google, Microsoft, Yahoo, ... by MX host; else the MX domain'), count: z.number(), mx_domains: z.array(z.string()) })),
});
const bouncesView = z.object({ from: timestamp, to: timestamp, domain: z.string().nullable(), bounced: bounceSection, blocked: bounceSection });

const check = z.object({
  check: z.string(),
  window: z.enum(['24h', '7d']).optional(),
  status: z.enum(['ok', 'warning', 'failing']),
  value: z.union([z.number(), z.boolean()]).nullable(),
  why: z.string(),
});
const healthView = z.object({
  generated_at: timestamp,
  domains: z.array(
    z.object({ domain: z.string(), domain_id: z.string().uuid(), status: z.enum(['ok', 'warning', 'failing']), last_24h: counts, last_7d: counts.passthrough(), checks: z.array(check) }),
  ),
});

/** Counters over time, bounce reasons and sender health, from rollups kept as events happen. */
@ApiTags('stats')
@Controller('v1/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get()
  @ApiDoc({ summary: 'Counters per hour or day', description: 'accepted, delivered, deferred, bounced (hard/soft), blocked, failed, complained, suppressed, opened, clicked (people; machine_* apart), unsubscribed.', query: seriesQuery, response: seriesView, errors: [404, 422] })
  series(@AccountId() accountId: string, @Query(new ZodPipe(seriesQuery)) query: z.infer<typeof seriesQuery>) {
    return this.stats.series(accountId, {
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      granularity: query.granularity,
      stream: query.stream,
      campaignId: query.campaign_id,
      tag: query.tag,
      domain: query.domain,
    });
  }

  @Get('bounces')
  @ApiDoc({ summary: 'Top bounce and block reasons', description: 'By enhanced status code, recipient domain and mailbox provider (by MX), bounces and policy blocks apart.', query: bouncesQuery, response: bouncesView, errors: [404, 422] })
  bounces(@AccountId() accountId: string, @Query(new ZodPipe(bouncesQuery)) query: z.infer<typeof bouncesQuery>) {
    return this.stats.bounces(accountId, { from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined, domain: query.domain, limit: query.limit });
  }

  @Get('health')
  @ApiDoc({ summary: "Each sending domain's health", description: "Complaint, hard-bounce and blocked rates (24 h, 7 d) against Gmail's bulk-sender limits, the slowest unsubscribe, DKIM/SPF/DMARC, one-click unsubscribe on broadcast: ok, warning or failing, and why.", response: healthView })
  health(@AccountId() accountId: string) {
    return this.stats.health(accountId);
  }
}
