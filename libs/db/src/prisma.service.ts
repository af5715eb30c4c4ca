import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client';
import { Sql } from './sql';

/**
 * The one Prisma client of a process, on node-postgres through the driver adapter, over the
 * process's one pool (Sql's). Disconnected in the last phase of shutdown, after listeners and
 * workers have drained (their hooks run earlier); the pool itself is Sql's to end.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(sql: Sql) {
    super({ adapter: new PrismaPg(sql.pool) });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
