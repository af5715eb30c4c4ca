export * from './newsletter.module';
export * from './broadcast';
