import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';

/** A connection inside `Sql.transaction`: repository methods that take one run in that transaction. */
export type Tx = PoolClient;

/** A statement text run this many times is prepared (named) from then on, when enabled. */
const PREPARE_AFTER = 3;
/** Most statements prepared per process (each connection keeps a plan of each it ran). */
const MAX_PREPARED = 200;
/** Texts counted towards PREPARE_AFTER at most (forgotten all at once beyond). */
const MAX_COUNTED = 2000;

/** How full a process's connection pool is; `exhausted` when every connection is in use. */
export interface PoolState {
  size: number;
  open: number;
  in_use: number;
  waiting: number;
  exhausted: boolean;
}

/**
 * The process's one node-postgres pool (DATABASE_POOL_SIZE connections), shared with Prisma's
 * driver adapter, so that four processes cannot open more than four pools' worth between them.
 * Queried directly on the hot paths (accepting batches of messages, claiming and recording
 * deliveries) where one hand-written statement over arrays replaces hundreds of ORM round trips;
 * used only inside repositories. Ended in the last phase of shutdown, once listeners and workers
 * (which drain in onModuleDestroy / beforeApplicationShutdown) no longer use it.
 */
@Injectable()
export class Sql implements OnApplicationShutdown {
  readonly pool: Pool;
  /**
   * Off by default. On (the imap process turns it on), `query` runs a statement text seen
   * PREPARE_AFTER times as a named prepared statement: each connection parses and plans it once
   * (PostgreSQL may then keep a generic plan) instead of at every call. Needs a direct connection
   * or session pooling (not PgBouncer's transaction mode); texts with `;` are never prepared.
   */
  prepareRepeated = false;
  private readonly counted = new Map<string, number>();
  private readonly names = new Map<string, string>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_SIZE });
    this.pool.on('error', () => undefined); // a dropped idle client is replaced on next use
  }

  state(): PoolState {
    const size = this.pool.options.max ?? 10;
    const open = this.pool.totalCount;
    const inUse = open - this.pool.idleCount;
    return { size, open, in_use: inUse, waiting: this.pool.waitingCount, exhausted: inUse >= size };
  }

  /** Resolves once PostgreSQL answers a trivial statement (health checks). */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async query<T extends QueryResultRow>(text: string, values?: unknown[]): Promise<T[]> {
    const name = this.prepareRepeated ? this.statementName(text) : undefined;
    return (await (name ? this.pool.query<T>({ name, text, values }) : this.pool.query<T>(text, values))).rows;
  }

  /** The name a repeated statement is prepared under (the same text, the same name, on every connection). */
  private statementName(text: string): string | undefined {
    const known = this.names.get(text);
    if (known || this.names.size >= MAX_PREPARED || text.includes(';')) return known;
    const count = (this.counted.get(text) ?? 0) + 1;
    if (count < PREPARE_AFTER) {
      if (this.counted.size >= MAX_COUNTED) this.counted.clear();
      this.counted.set(text, count);
      return undefined;
    }
    this.counted.delete(text);
    const name = `mr_${this.names.size + 1}`;
    this.names.set(text, name);
    return name;
  }

  async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is destroyed, not returned to the pool.
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
