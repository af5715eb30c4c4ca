import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestPinoLogger } from '@mailroom/logger';
import { PlatformModule, runMain } from '@mailroom/platform';
import { ImapModule } from './imap.module';

runMain('imap', async (config, logger) => {
  const app = await NestFactory.createApplicationContext(
    { module: class ImapRoot {}, imports: [PlatformModule.forRoot(config, logger), ImapModule] },
    { logger: new NestPinoLogger(logger) },
  );
  await app.init();
  return () => app.close();
});
