import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { SendingModule } from '@mailroom/sending';
import { TenancyModule } from '@mailroom/tenancy';
import { AccountsController } from './accounts/accounts.controller';
import { CampaignsApiModule } from './campaigns/campaigns-api.module';
import { CredentialsController } from './credentials/credentials.controller';
import { DomainsController } from './domains/domains.controller';
import { ApiKeyGuard } from './http/auth';
import { HttpDrain } from './http/http-drain';
import { MailboxesController } from './mailboxes/mailboxes.controller';
import { MessagesController } from './messages/messages.controller';
import { OpsController } from './ops/ops.controller';
import { SuppressionsController } from './suppressions/suppressions.controller';
import { TemplatesController } from './templates/templates.controller';

/** The REST API; needs PlatformModule in scope. */
@Module({
  imports: [TenancyModule, SendingModule, CampaignsApiModule],
  controllers: [OpsController, AccountsController, DomainsController, CredentialsController, MailboxesController, MessagesController, TemplatesController, SuppressionsController],
  providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }, HttpDrain],
})
export class ApiModule {}
