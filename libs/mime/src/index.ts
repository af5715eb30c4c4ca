export * from './address-list';
export * from './encoded-words';
export * from './header-block';
export * from './header-fields';
export * from './line-endings';
export * from './structured-value';
