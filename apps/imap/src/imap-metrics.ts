import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { Metrics } from '@mailroom/metrics';

/** The IMAP server's series, on the process registry (served by /metrics where the API runs too). */
@Injectable()
export class ImapMetrics {
  readonly connections: Gauge;
  readonly commands: Counter<'command' | 'status'>;
  readonly commandDuration: Histogram<'command'>;
  readonly logins: Counter<'result'>;
  readonly loginCache: Counter<'result'>;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.connections = new Gauge({ name: 'mailroom_imap_connections', help: 'IMAP connections open in this process', registers });
    this.commands = new Counter({
      name: 'mailroom_imap_commands_total',
      help: 'IMAP commands answered, by command and status (OK, NO, BAD)',
      labelNames: ['command', 'status'],
      registers,
    });
    this.commandDuration = new Histogram({
      name: 'mailroom_imap_command_duration_seconds',
      help: 'Time from a command read to its tagged answer (IDLE excluded)',
      labelNames: ['command'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.logins = new Counter({ name: 'mailroom_imap_logins_total', help: 'IMAP logins by result: ok, failed, limited', labelNames: ['result'], registers });
    this.loginCache = new Counter({
      name: 'mailroom_imap_login_cache_total',
      help: 'Password checks of IMAP and POP3 logins: hit (verified within the last minute, no scrypt) or miss',
      labelNames: ['result'],
      registers,
    });
  }
}
