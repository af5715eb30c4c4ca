export * from './tls-material';
