export * from './platform.module';
export * from './redis';
export * from './run-main';
export * from './shutdown';
export * from './heap-growth';
