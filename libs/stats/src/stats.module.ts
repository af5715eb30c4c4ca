import { Module } from '@nestjs/common';
import { StatsService } from './stats.service';

/** The stats API's reads; needs DbModule (global). */
@Module({ providers: [StatsService], exports: [StatsService] })
export class StatsModule {}
