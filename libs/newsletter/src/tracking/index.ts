export * from './engagement-recorder';
export * from './machine-detector';
export * from './tracking.module';
