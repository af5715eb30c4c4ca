export * from './jobs';
export * from './queues';
