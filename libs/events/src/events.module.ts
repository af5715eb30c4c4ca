import { Global, Module } from '@nestjs/common';
import { EventWriter } from './event-writer';

/** The outbox writer every process that makes changes can use; needs DbModule (global). */
@Global()
@Module({ providers: [EventWriter], exports: [EventWriter] })
export class EventsModule {}
