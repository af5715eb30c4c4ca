import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { SendingModule } from '@mailroom/sending';
import { TenancyModule } from '@mailroom/tenancy';
import { UsersModule } from '@mailroom/users';
import { AccountsController } from './accounts/accounts.controller';
import { CampaignsApiModule } from './campaigns/campaigns-api.module';
import { ContactsApiModule } from './contacts/contacts-api.module';
import { AuthController } from './auth/auth.controller';
import { CredentialsController } from './credentials/credentials.controller';
import { DashboardServingModule } from './dashboard-serving/dashboard-serving.module';
import { DomainsController } from './domains/domains.controller';
import { ApiKeyGuard } from './http/auth';
import { HttpDrain } from './http/http-drain';
import { MailboxesController } from './mailboxes/mailboxes.controller';
import { MessagesController } from './messages/messages.controller';
import { OpsController } from './ops/ops.controller';
import { PublicLinksModule } from './public/public-links.module';
import { StatsApiModule } from './stats/stats-api.module';
import { SuppressionsController } from './suppressions/suppressions.controller';
import { TeamController } from './team/team.controller';
import { TemplatesController } from './templates/templates.controller';
import { WebhooksApiModule } from './webhooks/webhooks-api.module';

/** The REST API; needs PlatformModule in scope. */
@Module({
  imports: [TenancyModule, SendingModule, PublicLinksModule, UsersModule, DashboardServingModule, CampaignsApiModule, ContactsApiModule, WebhooksApiModule, StatsApiModule],
  controllers: [OpsController, AccountsController, DomainsController, CredentialsController, MailboxesController, MessagesController, TemplatesController, SuppressionsController, AuthController, TeamController],
  providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }, HttpDrain],
})
export class ApiModule {}
