import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Metrics } from '@mailroom/metrics';

/** The inbound MX's series, registered on the process registry (served by /metrics where there is one). */
@Injectable()
export class InboundMetrics {
  readonly messages: Counter<'result'>;
  readonly recipients: Counter<'route'>;
  readonly reports: Counter<'kind'>;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.messages = new Counter({
      name: 'mailroom_smtp_inbound_messages_total',
      help: 'Messages after DATA: accepted (stored), rejected (a limit), failed (451, not stored)',
      labelNames: ['result'],
      registers,
    });
    this.recipients = new Counter({
      name: 'mailroom_smtp_inbound_recipients_total',
      help: 'RCPT commands by where they were routed (mailbox, catch_all, return_path) or refused',
      labelNames: ['route'],
      registers,
    });
    this.reports = new Counter({
      name: 'mailroom_smtp_inbound_reports_total',
      help: 'Messages read as reports, by kind (dsn, feedback, plain-bounce, auto-reply, other)',
      labelNames: ['kind'],
      registers,
    });
  }
}
