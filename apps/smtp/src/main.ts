import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestPinoLogger } from '@mailroom/logger';
import { PlatformModule, runMain } from '@mailroom/platform';
import { SmtpModule } from './smtp.module';

runMain('smtp', async (config, logger) => {
  const app = await NestFactory.createApplicationContext(
    { module: class SmtpRoot {}, imports: [PlatformModule.forRoot(config, logger), SmtpModule] },
    { logger: new NestPinoLogger(logger) },
  );
  await app.init();
  return () => app.close();
});
