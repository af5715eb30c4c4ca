import { Module } from '@nestjs/common';
import { QueueModule } from '@mailroom/queue';
import { SendingService } from './sending.service';

/** Accepting mail from the API and the relay; needs PlatformModule in scope. */
@Module({ imports: [QueueModule], providers: [SendingService], exports: [SendingService] })
export class SendingModule {}
