export * from './dns-resolver';
export * from './dns-client';
export * from './dns-cache';
