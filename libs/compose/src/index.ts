export * from './address';
export * from './address-header';
export * from './composer';
export * from './headers';
export * from './template-renderer';
export * from './submitted-message';
