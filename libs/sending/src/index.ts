export * from './delivery-enqueuer';
export * from './message-draft';
export * from './sender-domains';
export * from './sending.module';
export * from './sending.service';
export * from './message-copies';
