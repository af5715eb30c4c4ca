import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, type AppConfig } from '@mailroom/config';
import { SecretsModule } from '@mailroom/crypto';
import { DbModule } from '@mailroom/db';
import { LoggerModule, type Logger } from '@mailroom/logger';
import { CampaignsCoreModule } from '@mailroom/newsletter';
import { TenancyModule } from '@mailroom/tenancy';

/**
 * What the operator's commands use: configuration, PostgreSQL, secrets, the tenancy services and
 * campaigns (sending one freezes its audience; the workers deliver it).
 * Not PlatformModule: its Redis connection, metrics and TLS material would cost every command
 * a third of a second of loading for nothing (no command touches Redis).
 */
@Global()
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: CliModule,
      imports: [ConfigModule.forRoot(config), LoggerModule.forRoot(logger), DbModule, SecretsModule, TenancyModule, CampaignsCoreModule],
      exports: [TenancyModule],
    };
  }
}
