export * from './classification';
export * from './classify-smtp-reply';
export * from './connection-failures';
export * from './retry-after';
export * from './smtp-rules';
