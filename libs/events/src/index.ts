export * from './event-types';
export * from './event-writer';
export * from './events.module';
