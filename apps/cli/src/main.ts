import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { DomainError } from '@mailroom/common';
import { ConfigError, loadConfig } from '@mailroom/config';
import { migrate } from '@mailroom/db';
import { chooseLogFormat, createLogger } from '@mailroom/logger';
import { limitHeapGrowth } from '@mailroom/platform';
import { ServiceUnavailableError, checkPostgres } from '@mailroom/preflight';
import { CliModule } from './cli.module';
import { COMMANDS } from './commands';

/** `npm run cli -- <command>`: the operator's tool for accounts, keys, domains and logins. */

function help(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length), 'migrate'.length);
  return [
    'usage: npm run cli -- <command> [options] [--json]',
    '',
    `  ${'migrate'.padEnd(width)}  apply database migrations (creates the database if missing)`,
    ...Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      admin: { type: 'boolean' },
      account: { type: 'string' },
      name: { type: 'string' },
      username: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string' },
      password: { type: 'string' },
      'max-connections': { type: 'string' },
      'per-minute': { type: 'string' },
      'per-hour': { type: 'string' },
      none: { type: 'boolean' },
      watch: { type: 'boolean' },
    },
  });
  const [name, ...args] = positionals;
  if (!name || values.help || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name || values.help ? 0 : 2;
  }
  const config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
  limitHeapGrowth(config.HEAP_GROWING_PERCENT); // list:import runs as long as the file
  const json = values.json === true;
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command && name !== 'migrate') {
    process.stderr.write(`unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  // One plain line when PostgreSQL is missing, rather than a driver's stack trace.
  await checkPostgres(config.DATABASE_URL, { createsDatabase: name === 'migrate' });
  if (!command) {
    const result = await migrate(config.DATABASE_URL, { log: (line) => !json && process.stdout.write(`${line}\n`) });
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`database is up to date (${result.applied.length} applied now, ${result.alreadyApplied} before)\n`);
    return 0;
  }
  const logger = createLogger(config.LOG_LEVEL, 'mailroom-cli', chooseLogFormat(config.LOG_FORMAT, process.stdout.isTTY));
  const app = await NestFactory.createApplicationContext(
    { module: class CliRoot {}, imports: [CliModule.forRoot(config, logger)] },
    { logger: false },
  );
  try {
    await command.run({
      app,
      args,
      flags: values as Record<string, string | boolean>,
      print: (value, human) => process.stdout.write(`${json ? JSON.stringify(value, null, 2) : human()}\n`),
    });
    return 0;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'usage') {
      process.stderr.write(`${error.message}\nusage: npm run cli -- ${command.usage}\n`);
      return 2;
    }
    throw error;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usageError = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (error instanceof ServiceUnavailableError) process.stderr.write(`${error.message}\n`);
    else if (error instanceof ConfigError || error instanceof DomainError || usageError) process.stderr.write(`error: ${(error as Error).message}\n`);
    else process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(usageError ? 2 : 1);
  },
);
