export * from './auth-failure-limiter';
export * from './hourly-quota';
