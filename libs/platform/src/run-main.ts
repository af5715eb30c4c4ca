import { ConfigError, loadConfig, type AppConfig } from '@mailroom/config';
import { createLogger, type Logger } from '@mailroom/logger';

/**
 * The shape of every entry point: validate configuration (one clear line and exit 1 when it is
 * wrong), start, and stop cleanly on SIGINT/SIGTERM.
 */
export function runMain(name: string, start: (config: AppConfig, logger: Logger) => Promise<() => Promise<void>>): void {
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
  const logger = createLogger(config.LOG_LEVEL, `mailroom-${name}`);
  start(config, logger).then(
    (stop) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        const force = setTimeout(() => process.exit(1), 15_000).unref();
        stop().then(
          () => {
            clearTimeout(force);
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
      logger.fatal({ err: error }, `${name} failed to start: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
