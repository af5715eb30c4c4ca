export * from './service-check';
