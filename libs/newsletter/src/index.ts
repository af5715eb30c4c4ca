export * from './newsletter.module';
export * from './broadcast';
export * from './segments';
export * from './campaigns';
export * from './tracking';
export * from './unsubscribe';
