export * from './domain-error';
export * from './ids';
export * from './batcher';
export * from './domain-name';
export * from './storable-text';
