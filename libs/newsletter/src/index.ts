export * from './newsletter.module';
