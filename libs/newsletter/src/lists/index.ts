export * from './list-export';
export * from './list-id-header';
export * from './lists.service';
