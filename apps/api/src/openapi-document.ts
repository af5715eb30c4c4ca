import type { AppConfig } from '@mailroom/config';
import type { Logger } from '@mailroom/logger';
import { PlatformModule } from '@mailroom/platform';
import { ApiModule } from './api.module';
import { createHttpApp } from './http-app';

/**
 * The API's OpenAPI document exactly as /docs/openapi.json serves it, built without listening:
 * `npm run openapi` writes the dashboard's generated client types from it.
 */
export async function openApiDocument(config: AppConfig, logger: Logger): Promise<Record<string, unknown>> {
  const app = await createHttpApp({ module: class OpenApiRoot {}, imports: [PlatformModule.forRoot(config, logger), ApiModule] }, config, logger);
  try {
    await app.init();
    const response = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/docs/openapi.json' });
    return JSON.parse(response.body) as Record<string, unknown>;
  } finally {
    await app.close();
  }
}
