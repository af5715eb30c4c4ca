import type { DynamicModule, Type } from '@nestjs/common';
import { PlatformModule } from '@mailroom/platform';
import { startTestHttpApp, type TestApi } from '@mailroom/testing';
import { ApiModule } from '../../../api/src/api.module';
import { createHttpApp } from '../../../api/src/http-app';
import { WorkerModule } from '../../../worker/src/worker.module';

export type { TestApi } from '@mailroom/testing';

/**
 * The real API on a free loopback port, over a database and Redis prefix of its own; with
 * `worker`, the delivery workers run in the same process (as under `npm start`), and `modules`
 * adds more (the SMTP listeners). It lives here, in the app that composes the others, because
 * libs/testing may not import apps.
 */
export function startTestApi(env: Record<string, string> = {}, options: { worker?: boolean; modules?: Array<Type | DynamicModule> } = {}): Promise<TestApi> {
  return startTestHttpApp(
    (config, logger) =>
      createHttpApp({ module: class TestApiRoot {}, imports: [PlatformModule.forRoot(config, logger), ApiModule, ...(options.worker ? [WorkerModule] : []), ...(options.modules ?? [])] }, config, logger),
    env,
  );
}
