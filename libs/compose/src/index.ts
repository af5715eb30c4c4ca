export * from './address';
export * from './composer';
export * from './headers';
export * from './template-renderer';
