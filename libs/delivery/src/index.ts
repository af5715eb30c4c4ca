export * from './mx-resolver';
export * from './smtp-pool';
export * from './destination-limiter';
export { parseReply, localReply } from './reply-parser';
export type { SmtpReply as ParsedSmtpReply } from './reply-parser';
