import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PrismaService } from '@mailroom/db';
import { Metrics } from '@mailroom/metrics';
import { RedisConnection } from '@mailroom/platform';
import { Public } from '../http/auth';

const TIMEOUT_MS = 2000;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}

@ApiTags('operations')
@Public()
@Controller()
export class OpsController {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(RedisConnection) private readonly redis: RedisConnection,
    private readonly metrics: Metrics,
  ) {}

  @Get('health')
  @ApiOkResponse({ description: '200 when PostgreSQL and Redis answer, 503 otherwise' })
  async health(@Res() reply: FastifyReply): Promise<void> {
    const [postgres, redis] = await Promise.all([
      within(this.prisma.$queryRaw`SELECT 1`, TIMEOUT_MS).then(() => 'up', () => 'down'),
      within(this.redis.client.ping(), TIMEOUT_MS).then(() => 'up', () => 'down'),
    ]);
    const ok = postgres === 'up' && redis === 'up';
    void reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', postgres, redis });
  }

  @Get('metrics')
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
