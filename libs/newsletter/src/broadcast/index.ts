export * from './broadcast-decorator';
export * from './broadcast.module';
export * from '../tracking/tracking-tokens';
export * from '../tracking/link-rewriter';
export * from '../unsubscribe/unsubscribe-token';
export * from './broadcast-copies';
