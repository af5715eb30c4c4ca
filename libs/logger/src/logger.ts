import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { currentRequestId } from './request-context';

export type { Logger } from 'pino';

export type LogFormat = 'json' | 'pretty';

/**
 * JSON lines for machines (a pipe, a file, a log collector), readable lines for a person at a
 * terminal; LOG_FORMAT overrides the guess.
 */
export function chooseLogFormat(configured: LogFormat | undefined, stdoutIsTty: boolean | undefined): LogFormat {
  return configured ?? (stdoutIsTty ? 'pretty' : 'json');
}

function prettyStream(): DestinationStream {
  let stream: DestinationStream | undefined;
  // Made (and pino-pretty loaded) at the first line: a CLI command that logs nothing does not pay.
  return {
    write(line: string) {
      // Colours when stdout is a terminal that takes them (NO_COLOR and FORCE_COLOR are honoured).
      stream ??= (require('pino-pretty') as typeof import('pino-pretty'))({
        sync: true, // a line is on the terminal before the process goes on (or exits)
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        singleLine: true,
      });
      stream.write(line);
    },
  };
}

/** Adds the request id of the work in progress (request-context.ts) to a log line. */
export function requestIdMixin(): { reqId?: string } {
  const reqId = currentRequestId();
  return reqId === undefined ? {} : { reqId };
}

/**
 * One logger per process; every line logged inside a request, session or job carries its
 * correlation id (reqId), and children add what they are about.
 */
export function createLogger(level: string, name = 'mailroom', format: LogFormat = 'json'): Logger {
  const options = { name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime, mixin: requestIdMixin };
  if (format === 'pretty') return pino(options, prettyStream());
  return pino(options);
}

/** Routes Nest's own messages (startup, routes, errors) through pino, so they share its format. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
