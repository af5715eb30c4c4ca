import { Module } from '@nestjs/common';
import { SendingModule } from '@mailroom/sending';
import { ContactImporter } from '../imports/contact-importer';
import { ListsService } from '../lists/lists.service';
import { ConfirmationMailer } from '../opt-in/confirmation-mailer';
import { OptInTokens } from '../opt-in/opt-in-tokens';
import { SubscriptionService } from '../opt-in/subscription.service';
import { ContactsService } from './contacts.service';

/**
 * The audience: contacts, lists, CSV imports, double opt-in and the public subscription form
 * (contacts/, lists/, imports/, opt-in/). Confirmation mails go through SendingModule.
 */
@Module({
  imports: [SendingModule],
  providers: [ContactsService, ListsService, ContactImporter, ConfirmationMailer, OptInTokens, SubscriptionService],
  exports: [ContactsService, ListsService, ContactImporter, SubscriptionService, OptInTokens],
})
export class ContactsModule {}
