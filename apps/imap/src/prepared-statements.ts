import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Sql } from '@mailroom/db';

/**
 * The imap process runs a few dozen statement texts over and over (STORE, FETCH, STATUS, the
 * change feed's read): they are prepared once per connection rather than parsed and planned at
 * every command (Sql.prepareRepeated). In bench:imap --mix, parsing and planning were a large
 * part of PostgreSQL's CPU per command.
 */
@Injectable()
export class PreparedStatements implements OnModuleInit {
  constructor(private readonly sql: Sql) {}

  onModuleInit(): void {
    this.sql.prepareRepeated = true;
  }
}
