export * from './segment-filter.schema';
export * from './segment.service';
export * from './segments.module';
