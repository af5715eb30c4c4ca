export * from './return-path';
