export * from './roles';
export * from './session-token';
export * from './system-mailer';
export * from './user.service';
export * from './users.module';
