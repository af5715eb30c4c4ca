export * from './dkim-keys';
export * from './dkim-signer';
