import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';

/**
 * A plain node-postgres pool for the hot paths (accepting batches of messages, claiming and
 * recording deliveries) where one hand-written statement over arrays replaces hundreds of ORM
 * round trips. Used only inside repositories. Ended in the last phase of shutdown, once listeners
 * and workers (which drain in onModuleDestroy / beforeApplicationShutdown) no longer use it.
 */
@Injectable()
export class Sql implements OnApplicationShutdown {
  readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new Pool({ connectionString: config.DATABASE_URL, max: 20 });
    this.pool.on('error', () => undefined); // a dropped idle client is replaced on next use
  }

  async query<T extends QueryResultRow>(text: string, values?: unknown[]): Promise<T[]> {
    return (await this.pool.query<T>(text, values)).rows;
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
