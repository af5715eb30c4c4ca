import { Module } from '@nestjs/common';
import { StatsModule } from '@mailroom/stats';
import { QueueMetrics } from './queue-metrics';
import { StatsController } from './stats.controller';

/** /v1/stats, and the queue gauges of /metrics. */
@Module({ imports: [StatsModule], controllers: [StatsController], providers: [QueueMetrics] })
export class StatsApiModule {}
