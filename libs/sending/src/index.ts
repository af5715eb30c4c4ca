export * from './message-draft';
export * from './sending.module';
export * from './sending.service';
