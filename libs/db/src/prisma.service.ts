import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { PrismaClient } from './generated/client';

/**
 * The one Prisma client of a process, on node-postgres through the driver adapter. Disconnected in
 * the last phase of shutdown, after listeners and workers have drained (their hooks run earlier).
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super({ adapter: new PrismaPg({ connectionString: config.DATABASE_URL, max: 20 }) });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
