export * from './jobs';
export * from './queues';
export * from './queue.module';
