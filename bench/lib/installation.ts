import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { migrate } from '@mailroom/db';
import { databaseUrl, freePort, npmScriptEnv, npmScriptNodeArgs, spawnBuilt, TEST_PG_URL, TEST_REDIS_URL, TestDnsServer } from '@mailroom/testing';

export type BenchProcess = ChildProcess & { output: () => string };

export interface BenchDatabase {
  name: string;
  url: string;
  /** REDIS_PREFIX of the run: its keys go with the database. */
  prefix: string;
  drop(): Promise<void>;
}

/** A migrated database and a Redis prefix of the benchmark's own; drop() removes both. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `mailroom_bench_${randomBytes(4).toString('hex')}`;
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = databaseUrl(name);
  await migrate(url);
  return {
    name,
    url,
    prefix,
    async drop() {
      const redis = new Redis(TEST_REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Resolves once PostgreSQL records `n` recipients as delivered: delivered means recorded, not only received by the sink. */
export async function untilDelivered(pg: Client, n: number): Promise<void> {
  for (;;) {
    const { rows } = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM recipients WHERE status = 'delivered'`);
    if (rows[0]!.n >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A throw-away Mailroom installation for a benchmark: its own database and Redis prefix, a DNS
 * server of its own, and Mailroom's apps started as real processes from dist/.
 */
export class BenchInstallation {
  readonly processes: Record<string, BenchProcess> = {};
  readonly adminKey = `bench-admin-${randomBytes(8).toString('hex')}`;
  env: Record<string, string> = {};

  private constructor(
    readonly db: BenchDatabase,
    readonly dns: TestDnsServer,
  ) {}

  static async create(env: Record<string, string> = {}): Promise<BenchInstallation> {
    const installation = new BenchInstallation(await createBenchDatabase(), await TestDnsServer.start());
    installation.env = {
      DATABASE_URL: installation.db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: installation.db.prefix,
      HTTP_PORT: String(await freePort()),
      ADMIN_API_KEY: installation.adminKey,
      DNS_SERVERS: installation.dns.address,
      MAIL_HOSTNAME: 'mx.mailroom.test',
      LOG_LEVEL: 'warn',
      ...env,
    };
    return installation;
  }

  get databaseUrl(): string {
    return this.env.DATABASE_URL!;
  }

  get apiBase(): string {
    return `http://127.0.0.1:${this.env.HTTP_PORT}`;
  }

  /**
   * Starts an app's process with the variables its npm script sets (`MALLOC_ARENA_MAX`, as the
   * image does too); the all-in-one `mailroom` also with the node options `npm start` gives it.
   */
  start(name: string, app: 'api' | 'worker' | 'smtp' | 'imap' | 'mailroom'): BenchProcess {
    const script = app === 'mailroom' ? 'start' : `start:${app}`;
    const child = spawnBuilt(`dist/apps/${app}/src/main.js`, { ...npmScriptEnv(script), ...this.env }, app === 'mailroom' ? npmScriptNodeArgs(script) : []);
    this.processes[name] = child;
    return child;
  }

  async waitForApi(): Promise<void> {
    // Up to two minutes: on a machine shared with other work the api took more than 30 s to start.
    for (let i = 0; i < 600; i++) {
      if (await fetch(`${this.apiBase}/health`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the API did not become healthy\n${this.processes.api?.output().slice(-2000) ?? ''}`);
  }

  async call(method: string, path: string, key: string, body?: unknown): Promise<any> {
    const res = await fetch(this.apiBase + path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as unknown;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** An account with an API key and a verified sending domain, its records in our DNS server. */
  async sendingAccount(domainName: string): Promise<{ accountId: string; key: string }> {
    const account = await this.call('POST', '/v1/accounts', this.adminKey, { name: `bench ${domainName}` });
    const { key } = await this.call('POST', `/v1/accounts/${account.id}/api-keys`, this.adminKey, {});
    const domain = await this.call('POST', '/v1/domains', key, { name: domainName });
    for (const r of domain.dns as Array<{ type: string; name: string; value: string }>) {
      if (r.type === 'MX') this.dns.add({ type: 'MX', name: r.name, exchange: r.value, priority: 10 });
      else this.dns.add({ type: 'TXT', name: r.name, value: r.value });
    }
    await this.call('POST', `/v1/domains/${domain.id}/verify`, key);
    return { accountId: account.id, key };
  }

  async close(): Promise<void> {
    const all = Object.values(this.processes);
    for (const p of all) p.kill('SIGTERM');
    await Promise.all(all.map((p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)))));
    await this.dns.close();
    await this.db.drop();
  }
}
