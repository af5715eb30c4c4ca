export * from './test-env';
export * from './test-database';
export * from './test-app';
export * from './dns-server';
export * from './ports';
export * from './run-built';
export * from './test-config';
