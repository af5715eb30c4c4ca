import { Module } from '@nestjs/common';
import { ContactsModule } from '@mailroom/newsletter';
import { ImportsController } from '../imports/imports.controller';
import { ListsController } from '../lists/lists.controller';
import { SubscribeController } from '../subscribe/subscribe.controller';
import { ContactsController } from './contacts.controller';

/** /v1/contacts, /v1/lists, /v1/imports and the public /subscribe and /confirm pages. */
@Module({ imports: [ContactsModule], controllers: [ContactsController, ListsController, ImportsController, SubscribeController] })
export class ContactsApiModule {}
