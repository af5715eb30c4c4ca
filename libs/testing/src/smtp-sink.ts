import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';

export interface SinkMessage {
  from: string;
  to: string[];
  raw: Buffer;
  /** Connection id: messages that share one came over one reused connection. */
  connection: string;
  secure: boolean;
}

/**
 * What the sink answers; return undefined to accept. Errors become the SMTP reply:
 * `{ code: 450, message: '4.2.0 try later' }`.
 */
export interface SinkBehaviour {
  rcpt?(address: string, session: SMTPServerSession): SinkReply | undefined;
  data?(message: SinkMessage): SinkReply | undefined;
  /** Holds every DATA reply this long (a slow server: deliveries stay in flight). */
  delayMs?: number;
}

export interface SinkReply {
  code: number;
  message: string;
}

/**
 * A recipient MX for tests: an SMTP server on a loopback address that keeps what it receives.
 * Several sinks can share one port on different loopback addresses (127.0.0.2, 127.0.0.3 ...),
 * which is how tests give a domain's MX hosts one OUTBOUND_SMTP_PORT.
 */
export class SmtpSink {
  readonly messages: SinkMessage[] = [];
  readonly connections = new Set<string>();
  behaviour: SinkBehaviour = {};
  /** Messages received in all (kept or not). */
  count = 0;
  /** Received messages without a DKIM-Signature header. */
  unsigned = 0;
  /** Benchmarks turn this off so that memory measures Mailroom, not the sink. */
  keepBodies = true;
  private server!: SMTPServer;
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  port = 0;

  private constructor(readonly host: string) {}

  static async start(options: { host?: string; port?: number; behaviour?: SinkBehaviour; tls?: boolean } = {}): Promise<SmtpSink> {
    const sink = new SmtpSink(options.host ?? '127.0.0.1');
    sink.behaviour = options.behaviour ?? {};
    sink.server = new SMTPServer({
      authOptional: true,
      disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      hideSTARTTLS: !options.tls,
      logger: false,
      size: 50 * 1024 * 1024,
      onConnect: (session, callback) => {
        sink.connections.add(session.id);
        callback();
      },
      onRcptTo: (address: SMTPServerAddress, session, callback) => {
        const refusal = sink.behaviour.rcpt?.(address.address, session);
        callback(refusal ? replyError(refusal) : undefined);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const message: SinkMessage = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
            connection: session.id,
            secure: session.secure,
          };
          const answer = () => {
            const refusal = sink.behaviour.data?.(message);
            if (refusal) return callback(replyError(refusal));
            sink.count++;
            if (!/^DKIM-Signature:/im.test(message.raw.subarray(0, 8192).toString('latin1'))) sink.unsigned++;
            if (sink.keepBodies) sink.messages.push(message);
            sink.wake();
            callback(null, `2.0.0 Ok: queued as ${sink.messages.length}`);
          };
          if (sink.behaviour.delayMs) setTimeout(answer, sink.behaviour.delayMs);
          else answer();
        });
      },
    });
    sink.server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      sink.server.server.once('error', reject);
      sink.server.listen(options.port ?? 0, sink.host, () => resolve());
    });
    sink.port = (sink.server.server.address() as { port: number }).port;
    return sink;
  }

  /** Resolves once `count` messages in all have arrived. */
  waitFor(count: number, timeoutMs = 15_000): Promise<void> {
    if (this.count >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sink ${this.host}:${this.port} got ${this.count} of ${count} messages`)), timeoutMs);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  recipients(): string[] {
    return this.messages.flatMap((m) => m.to);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.count < w.count) return true;
      w.resolve();
      return false;
    });
  }
}

function replyError(reply: SinkReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}
