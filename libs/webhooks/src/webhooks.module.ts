import { Module } from '@nestjs/common';
import { SendingModule } from '@mailroom/sending';
import { SystemMailer } from '@mailroom/users';
import { AccountNotifier } from './account-notifier';
import { WebhookService } from './webhook.service';

/** Webhook endpoints (the API's side) and the notices about them; needs PlatformModule in scope. */
@Module({ imports: [SendingModule], providers: [WebhookService, AccountNotifier, SystemMailer], exports: [WebhookService, AccountNotifier] })
export class WebhooksModule {}
