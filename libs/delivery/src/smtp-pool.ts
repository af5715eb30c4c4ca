import { isIP } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { MxHost } from './mx-resolver';
import { parseReply } from './reply-parser';

export interface Envelope {
  from: string;
  to: string[];
}

/** What the server said about one recipient: its RCPT reply, or the DATA reply once accepted. */
export interface RecipientReply {
  address: string;
  accepted: boolean;
  code: number;
  enhanced?: string;
  response: string;
}

/** A host that could not take the transaction: refused, timed out, dropped, or greeted with an error. */
export interface ConnectionError {
  host: string;
  address: string;
  /** ECONNREFUSED, ETIMEDOUT, ECONNECTION, ETLS, EGREETING, ... */
  code: string;
  message: string;
  /** Set when the server answered (a 421 greeting, say). */
  smtpCode?: number;
}

/**
 * `ok: true`: a server ran the transaction, and every recipient has its reply (accepted or not).
 * `ok: false`: no host could be reached or would talk; nothing was said about any recipient.
 */
export type SendResult =
  | { ok: true; mxHost: string; address: string; tls: boolean; recipients: RecipientReply[]; connectionErrors: ConnectionError[] }
  | { ok: false; connectionErrors: ConnectionError[] };

export interface SmtpPoolOptions {
  /** EHLO name: MAIL_HOSTNAME. */
  name: string;
  connectTimeoutMs?: number;
  greetingTimeoutMs?: number;
  /** Inactivity timeout while a command waits for its reply. */
  socketTimeoutMs?: number;
  /** How long an idle connection is kept for the next message to the same host. */
  idleMs?: number;
  /** Messages per connection before it is closed and a fresh one opened. */
  maxMessagesPerConnection?: number;
  /** Idle connections kept per host (address:port). */
  maxIdlePerHost?: number;
  /**
   * No further host or address is tried once one send has run this long, so a delivery ends well
   * inside its claim's lease (a slow MX list must not let another worker claim it meanwhile).
   */
  sendDeadlineMs?: number;
}

interface PooledConnection {
  connection: SMTPConnection;
  key: string;
  messages: number;
  alive: boolean;
  idleTimer?: NodeJS.Timeout;
}

type Send = (connection: SMTPConnection, envelope: Envelope, raw: Buffer) => Promise<SMTPConnection.SentMessageInfo>;

/**
 * Outbound SMTP with connection reuse. A connection to one MX address carries many messages
 * (RSET between transactions), so a campaign to one provider pays for TCP, EHLO and STARTTLS
 * once per connection rather than once per message. STARTTLS is used whenever offered; a failed
 * handshake is retried once in plaintext, as RFC 3207's opportunistic TLS allows.
 */
export class SmtpPool {
  private readonly idle = new Map<string, PooledConnection[]>();
  private readonly open = new Set<PooledConnection>();
  /** How to end each send in flight at once: abort(). */
  private readonly inFlight = new Set<(error: Error) => void>();
  private closed = false;
  private readonly options: Required<SmtpPoolOptions>;

  constructor(options: SmtpPoolOptions) {
    this.options = {
      connectTimeoutMs: 30_000,
      greetingTimeoutMs: 30_000,
      socketTimeoutMs: 120_000,
      idleMs: 30_000,
      maxMessagesPerConnection: 100,
      maxIdlePerHost: 20,
      sendDeadlineMs: 300_000,
      ...options,
    };
  }

  /** Connections currently open (idle or busy); for metrics and tests. */
  get openConnections(): number {
    return this.open.size;
  }

  /**
   * Sends one transaction, trying hosts from `startIndex` round the list (the host after the
   * one that failed last time goes first) and every address of each host, until one takes it.
   */
  async send(hosts: MxHost[], startIndex: number, envelope: Envelope, raw: Buffer): Promise<SendResult> {
    const errors: ConnectionError[] = [];
    const order = hosts.map((_, i) => hosts[(startIndex + i) % hosts.length]!);
    const deadline = Date.now() + this.options.sendDeadlineMs;
    for (const host of order) {
      for (const address of host.addresses) {
        if (Date.now() > deadline) {
          errors.push({ host: host.host, address, code: 'ETIMEDOUT', message: 'not tried: this delivery ran out of time on earlier hosts' });
          return { ok: false, connectionErrors: errors };
        }
        const outcome = await this.abortable(this.tryAddress(host, address, envelope, raw));
        if ('recipients' in outcome) return { ok: true, mxHost: host.host, address, tls: outcome.tls, recipients: outcome.recipients, connectionErrors: errors };
        errors.push(outcome);
      }
    }
    return { ok: false, connectionErrors: errors };
  }

  /**
   * Ends every send in flight now (a worker out of shutdown time): each rejects with EABORTED,
   * the server's verdict unknown, and every connection is torn down rather than QUIT politely.
   */
  abort(): void {
    this.closed = true;
    const error = Object.assign(new Error('delivery aborted: the worker ran out of shutdown time'), { code: 'EABORTED' });
    for (const fail of [...this.inFlight]) fail(error);
    this.inFlight.clear();
    for (const pooled of [...this.open]) {
      this.discard(pooled, false);
      pooled.connection.close();
    }
    this.idle.clear();
  }

  private abortable<T>(work: Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(Object.assign(new Error('the connection pool is closed'), { code: 'EABORTED' }));
    return new Promise<T>((resolve, reject) => {
      this.inFlight.add(reject);
      work.then(resolve, reject).finally(() => this.inFlight.delete(reject));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pooled of this.open) this.discard(pooled, true);
    this.idle.clear();
  }

  private async tryAddress(host: MxHost, address: string, envelope: Envelope, raw: Buffer): Promise<{ recipients: RecipientReply[]; tls: boolean } | ConnectionError> {
    const key = `${address}|${host.port}|${host.host}`;
    // A reused connection the server has meanwhile closed fails at once; that costs a retry on a
    // fresh connection, not an error.
    for (let reuse = true; ; reuse = false) {
      let pooled: PooledConnection;
      try {
        pooled = (reuse && this.takeIdle(key)) || (await this.connect(host, address, key));
      } catch (error) {
        return connectionError(host.host, address, error);
      }
      const fresh = pooled.messages === 0;
      try {
        const info = await send(pooled.connection, envelope, raw);
        pooled.messages++;
        this.release(pooled);
        return { recipients: fromInfo(envelope, info), tls: pooled.connection.secure };
      } catch (error) {
        const err = error as SmtpError;
        if (err.code === 'EENVELOPE' || err.code === 'EMESSAGE') {
          // The server refused the transaction or some of it: those are replies, not connection trouble.
          pooled.messages++;
          this.resetAndRelease(pooled);
          return { recipients: fromEnvelopeError(envelope, err), tls: pooled.connection.secure };
        }
        this.discard(pooled, true);
        // A reused connection the server closed while idle fails before any reply: try a fresh one.
        // Not after DATA, nor on a timeout: the server may have taken the message already.
        if (!fresh && !err.responseCode && err.command !== 'DATA' && err.code !== 'ETIMEDOUT' && err.originalCode !== 'ETIMEDOUT') continue;
        return connectionError(host.host, address, error);
      }
    }
  }

  private takeIdle(key: string): PooledConnection | undefined {
    const list = this.idle.get(key);
    while (list?.length) {
      const pooled = list.pop()!;
      clearTimeout(pooled.idleTimer);
      if (pooled.alive) return pooled;
    }
    return undefined;
  }

  private async connect(host: MxHost, address: string, key: string, plaintext = false): Promise<PooledConnection> {
    const servername = isIP(host.host) ? undefined : host.host;
    const connection = new SMTPConnection({
      host: address,
      port: host.port,
      name: this.options.name,
      connectionTimeout: this.options.connectTimeoutMs,
      greetingTimeout: this.options.greetingTimeoutMs,
      socketTimeout: this.options.socketTimeoutMs,
      ignoreTLS: plaintext,
      // Opportunistic: MX certificates are rarely valid for the MX name; encryption still beats none.
      tls: { rejectUnauthorized: false, servername },
      logger: false,
    } as SMTPConnection.Options);
    const pooled: PooledConnection = { connection, key, messages: 0, alive: true };
    connection.on('error', () => this.discard(pooled, false));
    connection.on('end', () => this.discard(pooled, false));
    try {
      // Failures while connecting arrive as 'error' events, not through the callback.
      await new Promise<void>((resolve, reject) => {
        connection.once('error', reject);
        connection.once('end', () => reject(Object.assign(new Error('connection closed during setup'), { code: 'ECONNECTION' })));
        connection.connect((error?: Error) => {
          connection.removeListener('error', reject);
          if (error) reject(error);
          else resolve();
        });
      });
    } catch (error) {
      this.discard(pooled, true);
      if ((error as SmtpError).code === 'ETLS' && !plaintext) return this.connect(host, address, key, true);
      throw error;
    }
    this.open.add(pooled);
    return pooled;
  }

  private release(pooled: PooledConnection): void {
    if (this.closed || !pooled.alive || pooled.messages >= this.options.maxMessagesPerConnection) {
      this.discard(pooled, true);
      return;
    }
    const list = this.idle.get(pooled.key) ?? [];
    if (list.length >= this.options.maxIdlePerHost) {
      this.discard(pooled, true);
      return;
    }
    pooled.idleTimer = setTimeout(() => this.discard(pooled, true), this.options.idleMs);
    pooled.idleTimer.unref();
    list.push(pooled);
    this.idle.set(pooled.key, list);
  }

  private resetAndRelease(pooled: PooledConnection): void {
    pooled.connection.reset((error?: Error | null) => (error ? this.discard(pooled, true) : this.release(pooled)));
  }

  private discard(pooled: PooledConnection, quit: boolean): void {
    if (!pooled.alive && !this.open.has(pooled)) return;
    pooled.alive = false;
    clearTimeout(pooled.idleTimer);
    this.open.delete(pooled);
    const list = this.idle.get(pooled.key);
    if (list) {
      const at = list.indexOf(pooled);
      if (at >= 0) list.splice(at, 1);
      if (!list.length) this.idle.delete(pooled.key);
    }
    if (quit) {
      try {
        pooled.connection.quit();
      } catch {
        pooled.connection.close();
      }
    }
  }
}

interface SmtpError extends Error {
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  rejected?: string[];
  rejectedErrors?: SmtpError[];
  recipient?: string;
}

const send: Send = (connection, envelope, raw) =>
  new Promise((resolve, reject) =>
    connection.send({ from: envelope.from, to: envelope.to, size: raw.length } as SMTPConnection.Envelope, raw, (error, info) =>
      error ? reject(error) : resolve(info),
    ),
  );

function reply(address: string, accepted: boolean, response: string): RecipientReply {
  const parsed = parseReply(response);
  const result: RecipientReply = { address, accepted, code: parsed.code, response: parsed.response };
  if (parsed.enhanced) result.enhanced = parsed.enhanced;
  return result;
}

function fromInfo(envelope: Envelope, info: SMTPConnection.SentMessageInfo): RecipientReply[] {
  const rejected = new Map((info.rejectedErrors ?? []).map((e: SmtpError) => [String(e.recipient).toLowerCase(), e.response ?? '550 rejected']));
  return envelope.to.map((address) => {
    const refusal = rejected.get(address.toLowerCase());
    return refusal ? reply(address, false, refusal) : reply(address, true, info.response || '250 OK');
  });
}

/** A refused MAIL FROM or DATA applies to every recipient; a refused RCPT to its own. */
function fromEnvelopeError(envelope: Envelope, error: SmtpError): RecipientReply[] {
  const perRecipient = new Map((error.rejectedErrors ?? []).map((e) => [String(e.recipient).toLowerCase(), e.response ?? '550 rejected']));
  const common = error.response ?? `451 4.3.0 ${error.message}`;
  return envelope.to.map((address) => reply(address, false, perRecipient.get(address.toLowerCase()) ?? common));
}

function connectionError(host: string, address: string, error: unknown): ConnectionError {
  const err = error as SmtpError;
  const result: ConnectionError = { host, address, code: err.originalCode ?? err.code ?? 'ECONNECTION', message: err.response ?? err.message };
  if (err.responseCode) {
    result.smtpCode = err.responseCode;
    result.code = 'EGREETING';
  }
  return result;
}
