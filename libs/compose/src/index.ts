export * from './address';
export * from './composer';
export * from './headers';
export * from './template-renderer';
export * from './submitted-message';
