import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestPinoLogger } from '@mailroom/logger';
import { PlatformModule, runMain } from '@mailroom/platform';
import { WorkerModule } from './worker.module';

runMain('worker', async (config, logger) => {
  const app = await NestFactory.createApplicationContext(
    { module: class WorkerRoot {}, imports: [PlatformModule.forRoot(config, logger), WorkerModule] },
    { logger: new NestPinoLogger(logger) },
  );
  await app.init();
  return () => app.close();
});
