export * from './dns-resolver';
export * from './dns-client';
export * from './mailauth-resolver';
