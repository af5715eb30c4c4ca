export * from './dns-resolver';
export * from './dns-client';
export * from './node-resolvers';
