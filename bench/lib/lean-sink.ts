import { createServer, type Server, type Socket } from 'node:net';

const TERMINATOR = Buffer.from('\r\n.\r\n');
const EHLO_REPLY = '250-sink.bench\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 52428800\r\n';

const MESSAGE_ID = /^message-id:[ \t]*<?([^>\r\n]+)>?/im;

/** The Message-ID header of a message as received (the header block only), without brackets. */
function messageIdOf(message: Buffer): string | undefined {
  const headerEnd = message.indexOf('\r\n\r\n', 0, 'latin1');
  return MESSAGE_ID.exec(message.subarray(0, headerEnd < 0 ? message.length : headerEnd).toString('latin1'))?.[1]?.trim();
}

/**
 * The recipient MX of the delivery benchmark: ESMTP with PIPELINING on loopback, accepting every
 * envelope and message, answering all the commands of one read in one write, keeping nothing but
 * counts. The benchmark measures Mailroom; the remote MX it stands for runs on someone else's
 * machine, so the sink should cost this one as little as it can (smtp-server, which the tests
 * use, costs about as much per message as Mailroom's API). `--sink smtp-server` uses that one.
 */
export class LeanSink {
  count = 0;
  /** Messages whose first header is not a DKIM-Signature (Mailroom puts its signatures first). */
  unsigned = 0;
  connections = 0;
  port = 0;
  /**
   * When set, called with each message's Message-ID (without brackets; undefined when it has
   * none), so a benchmark can tell copies apart. Unset, the sink does not read headers.
   */
  onMessage?: (messageId: string | undefined) => void;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor() {
    this.server = createServer((socket) => this.session(socket));
  }

  static async start(host = '127.0.0.1'): Promise<LeanSink> {
    const sink = new LeanSink();
    await new Promise<void>((resolve, reject) => {
      sink.server.once('error', reject);
      sink.server.listen(0, host, () => resolve());
    });
    sink.port = (sink.server.address() as { port: number }).port;
    return sink;
  }

  waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.count >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sink got ${this.count} of ${count} messages`)), timeoutMs);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private session(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write('220 sink.bench ESMTP\r\n');
    let pending: Buffer = Buffer.alloc(0);
    let inData = false;
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let out = '';
      let at = 0;
      for (;;) {
        if (inData) {
          // The message ends at CRLF.CRLF; a body that is only "." ends right after DATA.
          const end = pending.subarray(at, at + 3).toString('latin1') === '.\r\n' ? at - 2 : pending.indexOf(TERMINATOR, at);
          if (end < 0) break;
          if (pending.subarray(at, at + 15).toString('latin1').toLowerCase() !== 'dkim-signature:') this.unsigned++;
          this.count++;
          if (this.onMessage) this.onMessage(messageIdOf(pending.subarray(at, end)));
          out += '250 2.0.0 Ok: queued\r\n';
          at = end + TERMINATOR.length;
          inData = false;
          continue;
        }
        const eol = pending.indexOf('\r\n', at, 'latin1');
        if (eol < 0) break;
        const verb = pending.subarray(at, Math.min(eol, at + 4)).toString('latin1').toUpperCase();
        at = eol + 2;
        if (verb === 'EHLO') out += EHLO_REPLY;
        else if (verb === 'HELO') out += '250 sink.bench\r\n';
        else if (verb === 'MAIL') out += '250 2.1.0 Ok\r\n';
        else if (verb === 'RCPT') out += '250 2.1.5 Ok\r\n';
        else if (verb === 'DATA') {
          out += '354 End data with <CR><LF>.<CR><LF>\r\n';
          inData = true;
        } else if (verb === 'QUIT') {
          socket.end(`${out}221 2.0.0 Bye\r\n`);
          return;
        } else if (verb === 'RSET' || verb === 'NOOP') out += '250 2.0.0 Ok\r\n';
        else out += '502 5.5.2 Command not implemented\r\n';
      }
      pending = at >= pending.length ? Buffer.alloc(0) : pending.subarray(at);
      if (out) socket.write(out);
      if (this.waiters.length) this.wake();
    });
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.count < w.count) return true;
      w.resolve();
      return false;
    });
  }
}
