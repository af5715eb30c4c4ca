import { Injectable } from '@nestjs/common';
import { Sql } from '../sql';

/** Process-wide settings (system_settings), read at start by every process: raw SQL, so that a process whose paths are all raw SQL never starts Prisma's client. */
@Injectable()
export class SettingRepository {
  constructor(private readonly sql: Sql) {}

  async get(key: string): Promise<string | undefined> {
    const [row] = await this.sql.query<{ value: string }>('SELECT value FROM system_settings WHERE key = $1', [key]);
    return row?.value;
  }

  /**
   * Returns the stored value, storing `value` first if the key is new. Safe when many processes
   * start at once: the first insert wins and everybody reads the winner.
   */
  async getOrCreate(key: string, value: () => string): Promise<string> {
    await this.sql.query('INSERT INTO system_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value()]);
    // A statement of its own: its snapshot sees a winner that committed while the insert waited.
    const stored = await this.get(key);
    if (stored === undefined) throw new Error(`system setting ${key} was not stored`);
    return stored;
  }
}
