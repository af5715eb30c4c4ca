import { configSchema, type AppConfig } from './config.schema';

export class ConfigError extends Error {
  constructor(readonly variable: string, detail: string, value: string | undefined) {
    super(`Invalid configuration: ${variable} ${detail}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment once; the only place in Mailroom that reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    input[key] = value === '' ? undefined : value;
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = String(issue.path[0]);
    throw new ConfigError(variable, issue.message, input[variable]);
  }
  if (Boolean(result.data.TLS_CERT_FILE) !== Boolean(result.data.TLS_KEY_FILE)) {
    const missing = result.data.TLS_CERT_FILE ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE';
    throw new ConfigError(missing, 'must be set together with the other of TLS_CERT_FILE and TLS_KEY_FILE', undefined);
  }
  return result.data;
}
