export * from './account.service';
export * from './api-key-authenticator';
export * from './credential.service';
export * from './domain.service';
export * from './mailbox.service';
export { normalizeDomainName } from '@mailroom/common';
export * from './tenancy.module';
