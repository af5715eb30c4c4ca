import { Global, Module } from '@nestjs/common';
import { Queues } from './queues';

/** One set of BullMQ producers per process, shared by the API, the relay and the workers. */
@Global()
@Module({ providers: [Queues], exports: [Queues] })
export class QueueModule {}
