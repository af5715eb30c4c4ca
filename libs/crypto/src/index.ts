export * from './secret-box';
export * from './password-hash';
export * from './tokens';
export * from './secrets';
