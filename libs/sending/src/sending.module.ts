import { Module } from '@nestjs/common';
import { QueueModule } from '@mailroom/queue';
import { DeliveryEnqueuer } from './delivery-enqueuer';
import { DraftValidator } from './draft-validator';
import { RelaySubmissionReader } from './relay-submission-reader';
import { SendQuota } from './send-quota';
import { SenderDomains } from './sender-domains';
import { SendingService } from './sending.service';
import { SubmissionBatcher } from './submission-batcher';

/** Accepting mail from the API and the relay; needs PlatformModule in scope. */
@Module({
  imports: [QueueModule],
  providers: [SendingService, DraftValidator, RelaySubmissionReader, SenderDomains, SendQuota, SubmissionBatcher, DeliveryEnqueuer],
  // The campaign dispatcher stores and enqueues broadcast mail the way accepted mail is.
  exports: [SendingService, DeliveryEnqueuer, SenderDomains],
})
export class SendingModule {}
