export * from './confirmation-mailer';
export * from './opt-in-tokens';
export * from './subscription.service';
