export * from './dns-resolver';
