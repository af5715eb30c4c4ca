export * from './health-rules';
export * from './mailbox-providers';
export * from './stats.module';
export * from './stats.service';
