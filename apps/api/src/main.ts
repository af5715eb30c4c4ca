import 'reflect-metadata';
import { PlatformModule, runMain } from '@mailroom/platform';
import { ApiModule } from './api.module';
import { createHttpApp } from './http-app';

runMain('api', async (config, logger) => {
  const app = await createHttpApp({ module: class ApiRoot {}, imports: [PlatformModule.forRoot(config, logger), ApiModule] }, config, logger);
  await app.listen(config.HTTP_PORT, config.BIND_ADDRESS);
  logger.info({ port: config.HTTP_PORT, address: config.BIND_ADDRESS }, 'api listening');
  return () => app.close();
});
