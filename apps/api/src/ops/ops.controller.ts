import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import { Sql } from '@mailroom/db';
import { Metrics } from '@mailroom/metrics';
import { RedisConnection } from '@mailroom/platform';
import { Public } from '../http/auth';
import { ApiDoc } from '../http/openapi';

const TIMEOUT_MS = 2000;

const healthView = z.object({
  status: z.enum(['ok', 'unavailable']),
  postgres: z.enum(['up', 'down', 'pool_exhausted']),
  redis: z.enum(['up', 'down']),
  postgres_pool: z.object({ size: z.number().int(), open: z.number().int(), in_use: z.number().int(), waiting: z.number().int(), exhausted: z.boolean() }),
});

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}

@ApiTags('operations')
@Public()
@Controller()
export class OpsController {
  constructor(
    private readonly sql: Sql,
    @Inject(RedisConnection) private readonly redis: RedisConnection,
    private readonly metrics: Metrics,
  ) {}

  @Get('health')
  @ApiDoc({ summary: 'Whether PostgreSQL and Redis answer', description: '200 when both answer, 503 otherwise (same body); `postgres_pool` says how full the connection pool is.', response: healthView, public: true, errors: [400, 503] })
  async health(@Res() reply: FastifyReply): Promise<void> {
    const [postgres, redis] = await Promise.all([
      within(this.sql.ping(), TIMEOUT_MS).then(() => 'up', () => 'down'),
      within(this.redis.client.ping(), TIMEOUT_MS).then(() => 'up', () => 'down'),
    ]);
    const pool = this.sql.state();
    // A ping that waited out its time behind a full pool says nothing about PostgreSQL itself:
    // name the pool, so an operator raises DATABASE_POOL_SIZE instead of restarting PostgreSQL.
    const database = postgres === 'down' && pool.exhausted ? 'pool_exhausted' : postgres;
    const ok = database === 'up' && redis === 'up';
    void reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', postgres: database, redis, postgres_pool: pool });
  }

  @Get('metrics')
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
