export * from './delivery-planner';
export * from './jobs';
export * from './queues';
export * from './queue.module';
export * from './typed-job';
