export * from './dkim-keys';
export * from './dkim-signer';
export { relaxedSignatures, SIGNED_HEADERS, type OpenSigningKey } from './relaxed-signer';
export { mailauthSignatures } from './mailauth-sign';
