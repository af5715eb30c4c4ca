export * from './account-notifier';
export * from './address-guard';
export * from './retry-policy';
export * from './webhook-secret';
export * from './webhook-sender';
export * from './webhook.service';
export * from './webhooks.module';
