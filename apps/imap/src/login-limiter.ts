import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, type Logger } from '@mailroom/logger';
import { RedisConnection } from '@mailroom/platform';
import { AuthFailureLimiter } from '@mailroom/ratelimit';
import { IMAP_OPTIONS, type ImapOptions } from './imap-options';

/**
 * Failed IMAP logins, counted per client IP and per user name in Redis so the limit holds across
 * every IMAP process; with Redis unreachable the check is skipped (and logged), logins go on.
 */
@Injectable()
export class LoginLimiter extends AuthFailureLimiter {
  constructor(redis: RedisConnection, @Inject(IMAP_OPTIONS) options: ImapOptions, @Inject(LOGGER) logger: Logger) {
    super(
      redis.client,
      redis.key('imap'),
      { perIp: options.authFailuresPerIp, perUser: options.authFailuresPerUser, windowSeconds: options.authFailureWindowSeconds },
      (error, what) => logger.warn({ err: error }, `imap ${what}`),
    );
  }
}
