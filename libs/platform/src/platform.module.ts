import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, type AppConfig } from '@mailroom/config';
import { SecretsModule } from '@mailroom/crypto';
import { DbModule } from '@mailroom/db';
import { LoggerModule, type Logger } from '@mailroom/logger';
import { MetricsModule } from '@mailroom/metrics';
import { TlsModule } from '@mailroom/tls';
import { RedisConnection } from './redis';

/** What every Mailroom process has: configuration, logs, PostgreSQL, secrets, Redis, metrics. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: PlatformModule,
      imports: [ConfigModule.forRoot(config), LoggerModule.forRoot(logger), DbModule, SecretsModule, MetricsModule, TlsModule],
      providers: [RedisConnection],
      exports: [ConfigModule, LoggerModule, DbModule, SecretsModule, MetricsModule, TlsModule, RedisConnection],
    };
  }
}
