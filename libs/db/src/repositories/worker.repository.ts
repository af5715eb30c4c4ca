import { Injectable } from '@nestjs/common';
import { Sql } from '../sql';

/**
 * Delivery workers and their heartbeats. Claims (`sending` recipients) carry their worker's id;
 * a claim whose worker has no row is free to take, so deleting a dead worker's row is what hands
 * its claims back. Times are PostgreSQL's own clock, so workers' clocks need not agree.
 */
@Injectable()
export class WorkerRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Renews the worker's heartbeat, registering it first if it has no row: at start, or after its
   * row was taken for dead during a long silence (its claims are then handed back already).
   */
  async heartbeat(id: string, host: string, pid: number): Promise<void> {
    await this.sql.query(
      `INSERT INTO workers (id, host, pid) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`,
      [id, host, pid],
    );
  }

  /**
   * Deletes the rows of workers silent for longer than `timeoutSeconds` and returns their ids.
   * DELETE … RETURNING hands each dead worker to one caller only, however many look at once.
   */
  async reapLapsed(timeoutSeconds: number): Promise<string[]> {
    const rows = await this.sql.query<{ id: string }>(
      `DELETE FROM workers WHERE heartbeat_at < now() - make_interval(secs => $1) RETURNING id`,
      [timeoutSeconds],
    );
    return rows.map((r) => r.id);
  }

  /** A worker that stops cleanly removes itself: whatever it still held is free at once. */
  async remove(id: string): Promise<void> {
    await this.sql.query(`DELETE FROM workers WHERE id = $1`, [id]);
  }
}
