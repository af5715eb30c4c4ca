import { Module } from '@nestjs/common';
import { Queues } from '@mailroom/queue';
import { SendingService } from './sending.service';

/** Accepting mail from the API and the relay; needs PlatformModule in scope. */
@Module({ providers: [SendingService, Queues], exports: [SendingService, Queues] })
export class SendingModule {}
