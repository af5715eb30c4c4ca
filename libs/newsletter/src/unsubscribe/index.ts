export * from './unsubscribe.service';
export * from './unsubscribe.module';
