import { ConfigError, loadConfig, type AppConfig } from '@mailroom/config';
import { chooseLogFormat, createLogger, type Logger } from '@mailroom/logger';
import { ServiceUnavailableError, checkServices } from '@mailroom/preflight';
import { limitHeapGrowth } from './heap-growth';
import { beginShutdown } from './shutdown';

/**
 * The shape of every entry point: validate configuration (one clear line and exit 1 when it is
 * wrong), start, and stop cleanly on SIGINT/SIGTERM: `stop` (the app's close) stops taking work,
 * finishes or hands back what the process holds, then closes its connections, all within
 * SHUTDOWN_GRACE_SECONDS; past that the process exits anyway.
 */
export function runMain(
  name: string,
  start: (config: AppConfig, logger: Logger) => Promise<() => Promise<void>>,
  options: { createsDatabase?: boolean; heapGrowingPercent?: number } = {},
): void {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  limitHeapGrowth(config.HEAP_GROWING_PERCENT, options.heapGrowingPercent);
  const logger = createLogger(config.LOG_LEVEL, `mailroom-${name}`, chooseLogFormat(config.LOG_FORMAT, process.stdout.isTTY));
  // PostgreSQL and Redis first: a missing one is one plain line naming it, not a stack trace
  // (PostgreSQL) or a process that never becomes ready (Redis: BullMQ retries forever).
  const started = checkServices(config, { postgres: { createsDatabase: options.createsDatabase }, redis: true }).then(() => start(config, logger));
  started.then(
    (stop) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        const graceMs = config.SHUTDOWN_GRACE_SECONDS * 1000;
        beginShutdown(graceMs);
        logger.info({ signal, graceSeconds: config.SHUTDOWN_GRACE_SECONDS }, 'shutting down');
        const force = setTimeout(() => {
          logger.error({ graceSeconds: config.SHUTDOWN_GRACE_SECONDS }, 'shutdown took longer than SHUTDOWN_GRACE_SECONDS; exiting now');
          process.exit(1);
        }, graceMs).unref();
        stop().then(
          () => {
            clearTimeout(force);
            logger.info({ signal }, 'stopped');
            process.exit(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    },
    (error: unknown) => {
      if (error instanceof ServiceUnavailableError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(1);
      }
      logger.fatal({ err: error }, `${name} failed to start: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
