import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Sql } from './sql';

/**
 * For the processes that run a few dozen statement texts over and over: the imap process
 * (STORE, FETCH, STATUS, the change feed's read), the worker (delivery and webhook claims
 * and records, the webhook pump's takes) and the smtp process (the recipient lookup at RCPT).
 * They are prepared once per connection rather than parsed and planned at every call
 * (Sql.prepareRepeated): in bench:imap --mix, parsing and planning were a large part of
 * PostgreSQL's CPU per command, and in bench:webhooks the parse and bind of the webhook claims
 * and records were a tenth of their time.
 */
@Injectable()
export class PreparedStatements implements OnModuleInit {
  constructor(private readonly sql: Sql) {}

  onModuleInit(): void {
    this.sql.prepareRepeated = true;
  }
}
