export * from './address-list';
export * from './body-text';
export * from './encoded-words';
export * from './header-fields';
export * from './line-endings';
export * from './part-tree';
export * from './structured-value';
