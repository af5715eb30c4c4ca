import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, type Logger } from '@mailroom/logger';
import { RedisConnection } from '@mailroom/platform';
import { AuthFailureLimiter } from '@mailroom/ratelimit';
import { IMAP_OPTIONS, type ImapOptions } from './imap-options';

/**
 * Failed IMAP logins, counted in Redis per (user name, client address) pair, per client address and
 * per user name (the user's own addresses exempt) so the limits hold across every IMAP process;
 * with Redis unreachable the check is skipped (and logged), logins go on.
 */
@Injectable()
export class LoginLimiter extends AuthFailureLimiter {
  constructor(redis: RedisConnection, @Inject(IMAP_OPTIONS) options: ImapOptions, @Inject(LOGGER) logger: Logger) {
    super(
      redis.client,
      redis.key('imap'),
      {
        perUserAndSource: options.authFailuresPerUserAndIp,
        perSource: options.authFailuresPerIp,
        perUser: options.authFailuresPerUser,
        windowSeconds: options.authFailureWindowSeconds,
      },
      (error, what) => logger.warn({ err: error }, `imap ${what}`),
    );
  }
}
