import { Module } from '@nestjs/common';
import { SegmentService } from './segment.service';

/** Segments: filters over an account's contacts. Needs PlatformModule (the database) in scope. */
@Module({ providers: [SegmentService], exports: [SegmentService] })
export class SegmentsModule {}
