import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request as the receiver got it, checked with the `standardwebhooks` package as a receiver would. */
export interface ReceivedWebhook {
  path: string;
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  payload: { type: string; timestamp: string; data: Record<string, any> } | null;
  /** For each secret of `secrets` (in order): whether the request verified with it. */
  verified: boolean[];
  headers: IncomingHttpHeaders;
  /** Date.now() when the body was complete. */
  at: number;
  /** What the receiver answered (0: it never did). */
  status: number;
}

/** What to answer; `hang` keeps the request open until the receiver closes. */
export interface WebhookAnswer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  hang?: boolean;
}

/**
 * An HTTP server that receives webhooks for tests and benchmarks: it verifies each request's
 * Standard Webhooks signature with the secrets it is given (the independent `standardwebhooks`
 * implementation) and answers what `answer` says (200 by default).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Secrets to verify with; each request records which of them verified it. */
  secrets: string[] = [];
  answer: (request: ReceivedWebhook, index: number) => WebhookAnswer = () => ({ status: 200, body: 'ok' });
  /** Benchmarks keep only what they count. */
  keep = true;
  count = 0;
  /** Connections accepted in all: far fewer than requests when senders keep them alive. */
  connections = 0;
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  private readonly verifiers = new Map<string, Webhook>();
  private waiters: Array<{ test: () => boolean; resolve: () => void }> = [];
  port = 0;

  static async start(host = '127.0.0.1'): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    receiver.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const header = (name: string) => String(req.headers[name] ?? '');
        const record: ReceivedWebhook = {
          path: req.url ?? '/',
          id: header('webhook-id'),
          timestamp: Number(header('webhook-timestamp')),
          signature: header('webhook-signature'),
          body,
          payload: parse(body),
          verified: receiver.secrets.map((secret) => receiver.verify(secret, body, req.headers)),
          headers: req.headers,
          at: Date.now(),
          status: 0,
        };
        const index = receiver.count++;
        if (receiver.keep) receiver.received.push(record);
        const answer = receiver.answer(record, index);
        const reply = () => {
          record.status = answer.status ?? 200;
          res.writeHead(record.status, { 'content-type': 'text/plain', ...answer.headers });
          res.end(answer.body ?? '');
          receiver.notify();
        };
        if (answer.hang) return receiver.notify();
        if (answer.delayMs) setTimeout(reply, answer.delayMs);
        else reply();
      });
    });
    receiver.server.keepAliveTimeout = 60_000;
    receiver.server.on('connection', (socket: Socket) => {
      receiver.connections++;
      receiver.sockets.add(socket);
      socket.on('close', () => receiver.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, host, resolve));
    receiver.port = (receiver.server.address() as AddressInfo).port;
    return receiver;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests to one path. */
  at(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Resolves once `test` holds (checked on every request), rejects after `timeoutMs`. */
  waitUntil(test: () => boolean, timeoutMs = 60_000, what = 'webhooks'): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${what}: not there within ${timeoutMs} ms (received ${this.count})`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ test, resolve: done });
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private notify(): void {
    const ready = this.waiters.filter((w) => w.test());
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  private verify(secret: string, body: string, headers: IncomingHttpHeaders): boolean {
    let verifier = this.verifiers.get(secret);
    if (!verifier) this.verifiers.set(secret, (verifier = new Webhook(secret)));
    try {
      verifier.verify(body, headers as Record<string, string>);
      return true;
    } catch {
      return false;
    }
  }
}

function parse(body: string): ReceivedWebhook['payload'] {
  try {
    return JSON.parse(body) as ReceivedWebhook['payload'];
  } catch {
    return null;
  }
}
