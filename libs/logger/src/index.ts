export * from './logger';
export * from './logger.module';
export * from './repeated-warning';
export * from './request-context';
