import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestPinoLogger } from '@mailroom/logger';
import { PrismaService } from '@mailroom/db';
import { PlatformModule, runMain } from '@mailroom/platform';
import { ImapModule } from './imap.module';

// The old generation kept tighter than in the other processes (HEAP_GROWING_PERCENT): sessions
// allocate little that lives, and 100 sessions should fit in 150 MB (bench:imap --mix, RSS after:
// 139-140 MiB at 20, 156-157 at 50, 190-194 with V8's own rule, for the same CPU per command).
const IMAP_HEAP = { heapGrowingPercent: 20 };

runMain('imap', async (config, logger) => {
  PrismaService.modulesOnDemand = true; // every path of this process is raw SQL (imap-footprint.int-spec)
  const app = await NestFactory.createApplicationContext(
    { module: class ImapRoot {}, imports: [PlatformModule.forRoot(config, logger), ImapModule] },
    { logger: new NestPinoLogger(logger) },
  );
  await app.init();
  return () => app.close();
}, IMAP_HEAP);
