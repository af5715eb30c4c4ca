import { Module } from '@nestjs/common';
import { SendingModule } from '@mailroom/sending';
import { TenancyModule } from '@mailroom/tenancy';
import { SubmissionServer } from './submission-server';

/** The submission relay (SPEC 8); needs PlatformModule in scope. */
@Module({ imports: [SendingModule, TenancyModule], providers: [SubmissionServer], exports: [SubmissionServer] })
export class SubmissionModule {}
